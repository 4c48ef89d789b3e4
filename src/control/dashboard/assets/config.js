// Dashboard (browser): config — stored resources, analyzer messages, revision history, a diff between two revisions, rollback behind a confirmation dialog.
import { getJson, postJson } from './api.js';
import { fill, h, notice, table } from './dom.js';
import { lineDiff } from './diff.js';

export function mount(root) {
  const resources = h('div', { id: 'resources' }, h('p', { class: 'muted' }, 'loading…'));
  const messages = h('div', { id: 'analysis' });
  const revisions = h('div', { id: 'revisions' });
  const diffBox = h('div', { id: 'diff' });
  const banner = h('div', { id: 'config-banner' });
  fill(
    root,
    h('div', { class: 'toolbar' }, h('h1', {}, 'Config')),
    banner,
    h('div', { class: 'two-col' }, h('div', {}, h('h2', {}, 'Resources'), resources), h('div', {}, h('h2', {}, 'Validation'), messages)),
    h('h2', {}, 'Revisions'),
    revisions,
    diffBox,
  );
  let stopped = false;

  const load = async () => {
    try {
      const [list, analysis, history] = await Promise.all([getJson('/api/v1/resources'), postJson('/api/v1/analyze', {}), getJson('/api/v1/revisions?limit=50')]);
      if (stopped) return;
      fill(resources, resourceTable(list));
      fill(messages, messageList(analysis.messages ?? []));
      fill(revisions, revisionTable(history, showDiff, confirmRollback));
      root.dataset.loaded = 'true';
    } catch (e) {
      if (!stopped) fill(banner, notice(`config unavailable: ${e.message}`));
    }
  };

  const showDiff = async (from, to) => {
    fill(diffBox, h('p', { class: 'muted' }, `diff ${from} → ${to}…`));
    try {
      const entries = await getJson(`/api/v1/diff?from=${from}&to=${to}`);
      fill(diffBox, h('h2', {}, `Diff: revision ${from} → ${to}`), entries.length === 0 ? h('p', { class: 'muted' }, 'No changes.') : entries.map(diffEntry));
      diffBox.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      fill(diffBox, notice(`diff failed: ${e.message}`));
    }
  };

  const confirmRollback = (rev, latest) => {
    const reason = h('input', { type: 'text', id: 'rollback-message', placeholder: 'reason (optional)' });
    const dialog = h(
      'dialog',
      { id: 'rollback-dialog', class: 'confirm' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', {}, `Roll back to revision ${rev}?`),
        h('p', {}, `This commits a new revision after ${latest} whose config equals revision ${rev}, and pushes it to every proxy.`),
        reason,
        h('div', { class: 'actions' }, h('button', { value: 'cancel', id: 'rollback-cancel' }, 'Cancel'), h('button', { value: 'confirm', id: 'rollback-confirm', class: 'danger' }, `Roll back to ${rev}`)),
      ),
    );
    dialog.addEventListener('close', async () => {
      const confirmed = dialog.returnValue === 'confirm';
      dialog.remove();
      if (!confirmed) return;
      try {
        const out = await postJson('/api/v1/rollback', { to: rev, message: reason.value.trim() || `rollback to ${rev} (dashboard)` });
        fill(banner, notice(`Rolled back to revision ${rev}: now at revision ${out.revision}.`, 'info'));
        await load();
      } catch (e) {
        fill(banner, notice(`rollback failed: ${e.message}`));
      }
    });
    document.body.append(dialog);
    dialog.showModal();
  };

  void load();
  return () => {
    stopped = true;
    document.getElementById('rollback-dialog')?.remove();
  };
}

function resourceTable(list) {
  if (list.length === 0) return h('p', { class: 'muted' }, 'The store is empty.');
  const rows = [...list].sort((a, b) => `${a.kind}/${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.namespace ?? ''}/${b.metadata.name}`));
  return table(
    [
      { label: 'kind', cell: (r) => r.kind },
      { label: 'namespace', cell: (r) => r.metadata.namespace ?? '' },
      { label: 'name', cell: (r) => h('details', {}, h('summary', {}, r.metadata.name), h('pre', { class: 'yaml' }, JSON.stringify(r, null, 2))) },
    ],
    rows,
    { id: 'resource-table' },
  );
}

function messageList(messages) {
  if (messages.length === 0) return h('p', { class: 'ok-text' }, '✓ No validation messages.');
  return table(
    [
      { label: 'level', cell: (m) => h('span', { class: `level ${m.level.toLowerCase()}` }, m.level) },
      { label: 'code', cell: (m) => h('code', { title: m.name }, m.code) },
      { label: 'resource', cell: (m) => m.resource },
      { label: 'message', cell: (m) => `${m.path ? `${m.path}: ` : ''}${m.message}` },
    ],
    messages,
    { id: 'analysis-table' },
  );
}

function revisionTable(history, showDiff, confirmRollback) {
  if (history.length === 0) return h('p', { class: 'muted' }, 'No revisions yet.');
  const revs = history.map((r) => r.revision).sort((a, b) => b - a);
  const latest = revs[0];
  const pick = (id, value) => h('select', { id }, [0, ...revs].sort((a, b) => b - a).map((r) => h('option', { value: r, selected: r === value }, String(r))));
  const fromSel = pick('diff-from', revs[1] ?? 0);
  const toSel = pick('diff-to', latest);
  const diffBar = h(
    'div',
    { class: 'toolbar' },
    'Diff from ',
    fromSel,
    ' to ',
    toSel,
    h('button', { id: 'diff-show', onclick: () => void showDiff(Number(fromSel.value), Number(toSel.value)) }, 'Show diff'),
  );
  const t = table(
    [
      { label: 'rev', cell: (r) => String(r.revision) },
      { label: 'time', cell: (r) => new Date(r.time).toLocaleString() },
      { label: 'author', cell: (r) => r.author },
      { label: 'message', cell: (r) => r.message },
      { label: 'changes', cell: (r) => h('span', { title: r.changes.map((c) => `${c.op} ${c.key}`).join('\n') }, r.changes.map((c) => `${c.op === 'delete' ? '−' : '+'}${c.key.split('/').slice(0, 1)[0]}/${c.key.split('/').pop()}`).join(', ')) },
      {
        label: '',
        cell: (r) =>
          h(
            'span',
            { class: 'row-actions' },
            r.revision > 1 ? h('button', { class: 'small', onclick: () => void showDiff(r.revision - 1, r.revision) }, 'diff') : null,
            r.revision !== latest ? h('button', { class: 'small danger', dataset: { rollback: String(r.revision) }, onclick: () => confirmRollback(r.revision, latest) }, 'roll back here') : h('span', { class: 'muted' }, 'current'),
          ),
      },
    ],
    [...history].sort((a, b) => b.revision - a.revision),
    { id: 'revision-table' },
  );
  return [diffBar, t];
}

function diffEntry(d) {
  const before = d.before === undefined ? [] : JSON.stringify(d.before, null, 2).split('\n');
  const after = d.after === undefined ? [] : JSON.stringify(d.after, null, 2).split('\n');
  const lines = lineDiff(before, after);
  return h(
    'div',
    { class: 'diff-entry' },
    h('h3', {}, h('span', { class: `op ${d.op}` }, d.op), ' ', d.key),
    h(
      'pre',
      { class: 'diff' },
      lines.map(([op, text]) => h('div', { class: op === '+' ? 'add' : op === '-' ? 'del' : 'same' }, `${op} ${text}`)),
    ),
  );
}
