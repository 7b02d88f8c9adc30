// Which strings of package.json a user reads, and the package.nls.json key each one gets. Shared by
// scripts/nls.mjs (moves literals into package.nls.json) and test/unit/wiring/nls.test.ts (fails on
// a literal left behind). Keys come from ids, not positions, so they survive reordering and merges.
'use strict';

const TEXT_FIELDS = ['description', 'markdownDescription', 'deprecationMessage', 'markdownDeprecationMessage'];
const LIST_FIELDS = ['enumDescriptions', 'markdownEnumDescriptions'];
const short = (id) => String(id).replace(/^homelab\./, '');
const isPlaceholder = (v) => /^%[^%\s]+%$/.test(v);
const slug = (s) => String(s).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/**
 * Every user-facing string slot: `{ key, get(), set(v) }` where key is the package.nls.json key
 * the slot's text belongs under.
 */
function manifestStrings(pkg) {
  const slots = [];
  const slot = (key, obj, field) => {
    if (obj && typeof obj[field] === 'string') slots.push({ key, get: () => obj[field], set: (v) => (obj[field] = v) });
  };
  slot('displayName', pkg, 'displayName');
  slot('description', pkg, 'description');
  const c = pkg.contributes ?? {};
  for (const cmd of c.commands ?? []) {
    slot(`command.${short(cmd.command)}.title`, cmd, 'title');
    slot(`command.${short(cmd.command)}.shortTitle`, cmd, 'shortTitle');
    // Categories are shared ("Homelab"): one key per category text.
    if (typeof cmd.category === 'string') slot(isPlaceholder(cmd.category) ? cmd.category.slice(1, -1) : `category.${slug(cmd.category)}`, cmd, 'category');
  }
  for (const [where, list] of Object.entries(c.viewsContainers ?? {})) {
    for (const v of list) slot(`viewsContainer.${where}.${short(v.id)}.title`, v, 'title');
  }
  for (const list of Object.values(c.views ?? {})) {
    for (const v of list) {
      slot(`view.${short(v.id)}.name`, v, 'name');
      slot(`view.${short(v.id)}.contextualTitle`, v, 'contextualTitle');
    }
  }
  const welcomeCount = {};
  for (const w of c.viewsWelcome ?? []) {
    const n = (welcomeCount[w.view] = (welcomeCount[w.view] ?? 0) + 1);
    slot(`viewsWelcome.${short(w.view)}${n > 1 ? `.${n}` : ''}`, w, 'contents');
  }
  for (const s of c.submenus ?? []) slot(`submenu.${short(s.id)}.label`, s, 'label');
  for (const col of c.colors ?? []) slot(`color.${short(col.id)}.description`, col, 'description');
  // Language-model tools (scripts/lm-tools.ts): the names people read; the model's description stays as written.
  for (const t of c.languageModelTools ?? []) {
    slot(`lmTool.${t.name}.displayName`, t, 'displayName');
    slot(`lmTool.${t.name}.userDescription`, t, 'userDescription');
  }
  for (const t of c.languageModelToolSets ?? []) slot(`lmToolSet.${t.name}.description`, t, 'description');
  for (const p of c.mcpServerDefinitionProviders ?? []) slot(`mcpServerDefinitionProvider.${short(p.id)}.label`, p, 'label');
  const configs = Array.isArray(c.configuration) ? c.configuration : c.configuration ? [c.configuration] : [];
  configs.forEach((cfg, i) => {
    slot(`config.title${configs.length > 1 ? `.${i + 1}` : ''}`, cfg, 'title');
    for (const [name, prop] of Object.entries(cfg.properties ?? {})) configStrings(slots, slot, `config.${short(name)}`, prop);
  });
  for (const w of c.walkthroughs ?? []) {
    const base = `walkthrough.${short(w.id)}`;
    slot(`${base}.title`, w, 'title');
    slot(`${base}.description`, w, 'description');
    for (const s of w.steps ?? []) {
      slot(`${base}.step.${s.id}.title`, s, 'title');
      slot(`${base}.step.${s.id}.description`, s, 'description');
      slot(`${base}.step.${s.id}.altText`, s.media, 'altText');
    }
  }
  return slots;
}

/** A setting's texts, and those of the properties of its object items (e.g. the cluster list's fields). */
function configStrings(slots, slot, base, prop) {
  if (!prop || typeof prop !== 'object') return;
  for (const f of TEXT_FIELDS) slot(`${base}.${f}`, prop, f);
  for (const f of LIST_FIELDS) {
    if (Array.isArray(prop[f])) prop[f].forEach((_, i) => slot(`${base}.${f}.${i}`, prop[f], i));
  }
  for (const [name, sub] of Object.entries(prop.properties ?? {})) configStrings(slots, slot, `${base}.${name}`, sub);
  if (prop.items) configStrings(slots, slot, `${base}.items`, prop.items);
}

module.exports = { manifestStrings, isPlaceholder };
