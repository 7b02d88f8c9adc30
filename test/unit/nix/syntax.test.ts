import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { assertNixSyntax, checkNixSyntax, parseNixError, NixSyntaxError, isNixError } from '../../../src/providers/nix';

const RES = resolve(__dirname, '../../../resources/nix');

describe('nix: syntax check (nix-instantiate --parse)', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'nix-syntax-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every .nix file of resources/nix parses', async () => {
    const files = readdirSync(RES).filter((f) => f.endsWith('.nix')).map((f) => join(RES, f));
    assert.ok(files.length >= 5, `found ${files.length} .nix files`);
    assert.deepEqual(await checkNixSyntax(files), []);
  });

  it('reports a syntax error with file, line and column, and fails the assert', async () => {
    const good = join(dir, 'good.nix');
    const bad = join(dir, 'bad.nix');
    writeFileSync(good, '{ a = 1; }\n');
    writeFileSync(bad, '{\n  a = 1;\n  b = 2\n}\n');
    const problems = await checkNixSyntax([good, bad]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].file, bad);
    assert.equal(problems[0].line, 4);
    assert.equal(problems[0].column, 1);
    assert.match(problems[0].message, /syntax error, unexpected '}'/);
    assert.match(problems[0].output, /4\| \}/, 'the code excerpt is kept for the terminal');
    await assert.rejects(assertNixSyntax([good, bad]), (e: unknown) => {
      assert.ok(e instanceof NixSyntaxError && isNixError(e, 'syntax'));
      assert.match((e as Error).message, new RegExp(`${bad.replace(/[/.]/g, '\\$&')}:4:1: syntax error`));
      return true;
    });
  });

  it('a broken edit of a real file (template.nix without a semicolon) is caught at its line', async () => {
    const text = readFileSync(join(RES, 'template.nix'), 'utf8');
    const lines = text.split('\n');
    const i = lines.findIndex((l) => /time\.timeZone = params\.timezone;/.test(l));
    assert.ok(i > 0);
    lines[i] = lines[i].replace(/;$/, '');
    const f = join(dir, 'template.nix');
    writeFileSync(f, lines.join('\n'));
    const [p] = await checkNixSyntax([f]);
    assert.equal(p.file, f);
    // nix points at the first token after the missing semicolon (blank and comment lines skipped)
    let next = i + 1;
    while (!lines[next].trim() || lines[next].trim().startsWith('#')) next++;
    assert.equal(p.line, next + 1);
    assert.match(p.message, /syntax error/);
  });

  it('a missing file is reported, non-.nix files are ignored', async () => {
    const [p] = await checkNixSyntax([join(dir, 'nope.nix'), join(dir, 'script.sh')]);
    assert.match(p.message, /No such file/);
  });

  it('names the missing tool', async () => {
    await assert.rejects(checkNixSyntax([join(RES, 'flake.nix')], { nixInstantiate: '/nonexistent/nix-instantiate' }), /nix-bin/);
  });

  it('parses nix output with color codes and without a position', () => {
    const p = parseNixError('/x.nix', '\x1b[31;1merror:\x1b[0m undefined variable \'foo\'\n\n       at /x.nix:3:7:\n');
    assert.deepEqual([p.file, p.line, p.column, p.message], ['/x.nix', 3, 7, "undefined variable 'foo'"]);
    const q = parseNixError('/y.nix', 'error: getting status of \'/y.nix\': No such file or directory');
    assert.equal(q.line, undefined);
    assert.equal(q.file, '/y.nix');
  });
});
