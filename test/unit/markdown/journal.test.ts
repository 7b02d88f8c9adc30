import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { buildJournal, parseEntry, parseJournalReadme, phaseStatus, searchEntries } from '../../../src/providers/markdown/journal';
import { fixture } from './helpers';

describe('journal reader', () => {
  const readme = parseJournalReadme(fixture('journal/README.md'), 'journal/README.md');

  it('reads the phases of the README with status, duration, achievements and retrospective link', () => {
    assert.equal(readme.title, 'Homelab Journal: Building the Lab with an AI Pair');
    assert.deepEqual(readme.phases.map((p) => [p.number, p.name, p.status]), [
      ['1', 'Bare Metal and Proxmox', 'complete'],
      ['2', 'NixOS Templates', 'in-progress'],
      ['3', 'Kubernetes', 'planned'],
    ]);
    const p1 = readme.phases[0];
    assert.equal(p1.statusText, 'Complete');
    assert.equal(p1.duration, '6-10 hours');
    assert.equal(p1.fields['ai partner'], 'Claude Code');
    assert.deepEqual(p1.achievements, ['Three-node Proxmox cluster with quorum', 'Terraform provider wired to the API', 'Documented IP plan']);
    assert.deepEqual(p1.lists['learning highlights'], ['Write the IP plan first', 'Test fencing before trusting HA']);
    assert.equal(p1.retrospective, './phase-1-retrospective.md');
    assert.ok(p1.title.startsWith('âœ…'), 'heading text kept as written (mojibake included)');
    assert.equal(readme.phases[1].focus, 'Self-installing ISO, LVM layout');
    assert.equal(readme.phases[1].retrospective, '2025-06-14-nixos-templates.md');
    assert.equal(readme.phases[2].retrospective, undefined);
    assert.deepEqual(readme.phases[2].achievements, []);
  });

  it('does not read phases from code blocks or unrelated headings', () => {
    const r = parseJournalReadme(Buffer.from('# J\n\n```\n### Phase 9: fake\n```\n\n## Phasers\n\n### Phase 2 - Real\n**Status**: Done\n'), 'r.md');
    assert.deepEqual(r.phases.map((p) => [p.number, p.name, p.status]), [['2', 'Real', 'complete']]);
  });

  it('maps phase statuses and falls back on a ✅ heading', () => {
    assert.equal(phaseStatus('Complete'), 'complete');
    assert.equal(phaseStatus('**In Progress**'), 'in-progress');
    assert.equal(phaseStatus('Planned'), 'planned');
    assert.equal(phaseStatus('???'), 'unknown');
    assert.equal(phaseStatus('', 'âœ… Phase 1'), 'complete');
    assert.equal(phaseStatus('', 'Phase 1'), 'unknown');
  });

  it('dates entries from the file name, then the content, then mtime', () => {
    const byName = parseEntry(fixture('journal/2025-06-14-nixos-templates.md'), 'journal/2025-06-14-nixos-templates.md', Date.UTC(2030, 0, 1));
    assert.deepEqual([byName.date, byName.dateSource], ['2025-06-14', 'filename']);
    assert.equal(byName.title, 'NixOS Templates: Self-Installing ISO ðŸŽ‰');
    assert.equal(byName.excerpt, 'The ISO now partitions the disk with LVM and installs itself, no keyboard needed.');
    const byContent = parseEntry(fixture('journal/phase-1-retrospective.md'), 'journal/phase-1-retrospective.md', Date.UTC(2030, 0, 1));
    assert.deepEqual([byContent.date, byContent.dateSource], ['2025-05-20', 'content']);
    const byMtime = parseEntry(fixture('journal/ups-notes.md'), 'journal/ups-notes.md', Date.UTC(2024, 1, 29, 23, 0));
    assert.deepEqual([byMtime.date, byMtime.dateSource, byMtime.title], ['2024-02-29', 'mtime', 'ups-notes']);
    const none = parseEntry(fixture('journal/ups-notes.md'), 'ups-notes.md');
    assert.deepEqual([none.date, none.dateSource], [undefined, 'none']);
    const badName = parseEntry(Buffer.from('# x\n'), '2025-13-45-nope.md', Date.UTC(2025, 0, 2));
    assert.equal(badName.dateSource, 'mtime', 'an impossible date in the name is not a date');
  });

  it('builds the journal: README apart, entries newest first, undated last', () => {
    const files = ['README.md', 'phase-1-retrospective.md', '2025-06-14-nixos-templates.md', 'ups-notes.md']
      .map((n) => ({ path: `journal/${n}`, bytes: fixture(`journal/${n}`) }));
    files.push({ path: 'journal/image.png', bytes: Buffer.from([0x89, 0x50]) });
    const j = buildJournal(files);
    assert.equal(j.readme?.phases.length, 3);
    assert.deepEqual(j.entries.map((e) => e.date), ['2025-06-14', '2025-05-20', undefined]);
  });

  it('searches entries case-insensitively and returns a snippet around the match', () => {
    const entries = ['phase-1-retrospective.md', '2025-06-14-nixos-templates.md', 'ups-notes.md']
      .map((n) => parseEntry(fixture(`journal/${n}`), n, 0));
    const hits = searchEntries(entries, 'COROSYNC vlan');
    assert.equal(hits.length, 1);
    assert.equal(hits[0].entry.file, 'phase-1-retrospective.md');
    assert.match(hits[0].snippet, /corosync/i);
    for (const [s, e] of hits[0].highlights) assert.match(hits[0].snippet.slice(s, e), /^(corosync|vlan)$/i);
    const shebang = searchEntries(entries, 'pkgs.bash');
    assert.deepEqual(shebang.map((h) => h.entry.file), ['2025-06-14-nixos-templates.md']);
    assert.ok(!/[`*#]/.test(shebang[0].snippet.replace(/\$\{pkgs\.bash\}/, '')), `markdown syntax in snippet: ${shebang[0].snippet}`);
    assert.deepEqual(searchEntries(entries, 'nothing-like-this'), []);
    assert.deepEqual(searchEntries(entries, '   '), []);
    const ranked = searchEntries(entries, 'nixos');
    assert.equal(ranked[0].entry.file, '2025-06-14-nixos-templates.md', 'title match ranks first');
    assert.equal(searchEntries(entries, 'nixos', { limit: 1 }).length, 1);
  });

  // Only defined when the user's files are on this machine; the committed tests never need them.
  if (existsSync('/work/shared/context/journal-readme.md')) {
    it('reads the user journal README (context folder present)', () => {
      const r = parseJournalReadme(readFileSync('/work/shared/context/journal-readme.md'), 'README.md');
      assert.deepEqual(r.phases.map((p) => p.status), ['complete', 'planned', 'planned', 'planned']);
      assert.equal(r.phases[0].achievements.length, 5);
      assert.equal(r.phases[0].retrospective, './phase-1-retrospective.md');
    });
  }
});
