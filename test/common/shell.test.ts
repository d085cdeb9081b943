import { describe, expect, it } from 'vitest';
import { shellJoin } from '../../src/common/shell.js';
import { describeRestart } from '../../src/restart/index.js';

describe('shellJoin', () => {
  it.each([
    [['/bin/sh', '-c', 'echo hi'], "/bin/sh -c 'echo hi'"],
    [['node', 'demo/demo-service.mjs', '--port', '48787'], 'node demo/demo-service.mjs --port 48787'],
    [['echo', "it's"], "echo 'it'\\''s'"],
    [['printf', ''], "printf ''"],
    [['sh', '-c', 'echo $HOME; ls *'], "sh -c 'echo $HOME; ls *'"],
  ])('%j is %s', (argv, line) => {
    expect(shellJoin(argv)).toBe(line);
  });
});

describe('a command restart in the report', () => {
  it('prints its argv quoted as a shell would need it', () => {
    expect(describeRestart({ type: 'command', run: ['/bin/sh', '-c', 'echo hi'] } as Parameters<typeof describeRestart>[0])).toBe("command: /bin/sh -c 'echo hi'");
  });
});
