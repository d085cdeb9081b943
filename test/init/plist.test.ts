/**
 * The XML plist reader of heal init. The plists follow launchd.plist(5) and what `heal install
 * launchd` itself writes: a DOCTYPE, a top-level <dict> of <key>/value pairs.
 */
import { describe, expect, it } from 'vitest';
import { parsePlist, readLaunchAgent } from '../../src/init/plist.js';

const HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';

describe('readLaunchAgent', () => {
  it('reads Label and ProgramArguments, past nested dicts, booleans, integers and comments', () => {
    const text = `${HEADER}<plist version="1.0">
<dict>
  <!-- a comment -->
  <key>EnvironmentVariables</key>
  <dict><key>Label</key><string>not this one</string></dict>
  <key>Label</key>
  <string>com.example.api</string>
  <key>ProgramArguments</key>
  <array>
    <string>/usr/local/bin/api</string>
    <string>--name=&quot;a &amp; b&quot;</string>
  </array>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
  <key>ThrottleInterval</key><integer>10</integer>
  <key>Sockets</key><array/>
</dict>
</plist>
`;
    expect(readLaunchAgent(text)).toEqual({ ok: true, label: 'com.example.api', program: ['/usr/local/bin/api', '--name="a & b"'] });
  });

  it('takes Program when there are no ProgramArguments', () => {
    const text = `${HEADER}<plist version="1.0"><dict><key>Label</key><string>org.example.proxy</string><key>Program</key><string>/opt/proxy</string></dict></plist>`;
    expect(readLaunchAgent(text)).toEqual({ ok: true, label: 'org.example.proxy', program: ['/opt/proxy'] });
  });

  it.each([
    ['bplist00\u00d4\u0001\u0002', 'a binary plist: heal init reads XML plists only (plutil -convert xml1 FILE makes one)'],
    [`${HEADER}<plist version="1.0"><dict><key>Program</key><string>/x</string></dict></plist>`, 'no Label'],
    [`${HEADER}<plist version="1.0"><array/></plist>`, 'its top level is not a <dict>'],
    [`${HEADER}<plist version="1.0"><dict><key>Label</key><string>x</dict></plist>`, 'not a plist heal can read: <dict> inside <string>'],
    [`${HEADER}<plist version="1.0"><dict><key>Label</key>`, 'not a plist heal can read: the XML ends early'],
  ])('says why it cannot read %#', (text, error) => {
    expect(readLaunchAgent(text)).toEqual({ ok: false, error });
  });
});

describe('parsePlist', () => {
  it('reads every value type', () => {
    const text = `<plist><dict><key>s</key><string>a&lt;b&#65;</string><key>i</key><integer>-3</integer><key>r</key><real>1.5</real><key>t</key><true/><key>f</key><false/><key>e</key><string/><key>a</key><array><string>x</string><dict/></array></dict></plist>`;
    expect(parsePlist(text)).toEqual({ s: 'a<bA', i: -3, r: 1.5, t: true, f: false, e: '', a: ['x', {}] });
  });
});
