import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../services/db/database.js';
import { RunStore } from '../services/runs/run-store.js';
import { writeFakeRun } from '../test-support/fake-run.js';
import { moewb } from '../test-support/moewb.js';

const name = 'esc\x1b]0;TITLE\x07\x1b[31mRED';
const notes = 'see \u202etxt.exe\nsecond line';

describe('moewb output of names, tags and notes with terminal escapes', () => {
  it('shows control and bidi characters as visible escapes, and keeps --json exact', async () => {
    const run = writeFakeRun({
      steps: [4],
      status: { state: 'completed', message: 'reached --max-steps' },
      exitCode: 0,
      state: 'completed',
    });
    const { db } = openDatabase(join(run.dataDir, 'workbench.db'));
    new RunStore(db).updateInfo(run.runId, { name, tags: ['\u009b2J', 'ok'], notes });
    db.close();

    const list = await moewb(run.dataDir, run.trainer, 'runs', 'list');
    expect(list.code).toBe(0);
    expect(list.out).toContain('esc\\x1b]0;TITLE\\x07\\x1b[31mRED');
    // The columns stay aligned: widths are those of the escaped names.
    const [head, row] = list.out.split('\n');
    expect(row!.indexOf(' local ')).toBe(head!.indexOf(' NODE '));
    const show = await moewb(run.dataDir, run.trainer, 'runs', 'show', run.runId);
    expect(show.out).toContain('tags:        \\u009b2J, ok');
    expect(show.out).toContain('notes:       see \\u202etxt.exe\nsecond line');
    for (const out of [list.out, show.out]) {
      // eslint-disable-next-line no-control-regex
      expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    }
    const json = await moewb(run.dataDir, run.trainer, 'runs', 'list', '--json');
    // eslint-disable-next-line no-control-regex
    expect(json.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(JSON.parse(json.out)).toEqual([expect.objectContaining({ name, tags: ['\u009b2J', 'ok'], notes })]);
  });
});
