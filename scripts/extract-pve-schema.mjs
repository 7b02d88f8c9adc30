// Extracts from the full PVE API schema only the methods the simulator implements, so the
// simulator validates parameters exactly like the real server without shipping 1.2 MB.
// Usage: node scripts/extract-pve-schema.mjs [src.json] [out.json]
import { readFileSync, writeFileSync } from 'node:fs';

const SRC = process.argv[2] ?? '/work/shared/proxmox/pve-api-schema-9.1.3.json';
const OUT = process.argv[3] ?? new URL('../test/proxmox-sim/pve-schema.json', import.meta.url).pathname;

// Keep in sync with the route table in test/proxmox-sim/routes.ts.
export const METHODS = [
  'GET /version',
  'POST /access/ticket',
  'GET /nodes',
  'GET /nodes/{node}/status',
  'GET /cluster/resources',
  'GET /cluster/nextid',
  'GET /cluster/tasks',
  'GET /nodes/{node}/qemu',
  'POST /nodes/{node}/qemu',
  'GET /nodes/{node}/qemu/{vmid}/config',
  'PUT /nodes/{node}/qemu/{vmid}/config',
  'POST /nodes/{node}/qemu/{vmid}/config',
  'PUT /nodes/{node}/qemu/{vmid}/cloudinit',
  'GET /nodes/{node}/qemu/{vmid}/status/current',
  'POST /nodes/{node}/qemu/{vmid}/status/start',
  'POST /nodes/{node}/qemu/{vmid}/status/stop',
  'POST /nodes/{node}/qemu/{vmid}/status/shutdown',
  'POST /nodes/{node}/qemu/{vmid}/status/reboot',
  'POST /nodes/{node}/qemu/{vmid}/template',
  'POST /nodes/{node}/qemu/{vmid}/clone',
  'GET /nodes/{node}/qemu/{vmid}/migrate',
  'POST /nodes/{node}/qemu/{vmid}/migrate',
  'DELETE /nodes/{node}/qemu/{vmid}',
  'GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces',
  'PUT /nodes/{node}/qemu/{vmid}/resize',
  'GET /nodes/{node}/storage',
  'GET /nodes/{node}/storage/{storage}/content',
  'DELETE /nodes/{node}/storage/{storage}/content/{volume}',
  'POST /nodes/{node}/storage/{storage}/upload',
  'POST /nodes/{node}/storage/{storage}/download-url',
  'GET /nodes/{node}/tasks',
  'GET /nodes/{node}/tasks/{upid}/status',
  'GET /nodes/{node}/tasks/{upid}/log',
  'DELETE /nodes/{node}/tasks/{upid}',
  // issue 16: containers, snapshots, backups, consoles, cluster options
  'GET /nodes/{node}/lxc',
  'POST /nodes/{node}/lxc',
  'GET /nodes/{node}/lxc/{vmid}/config',
  'PUT /nodes/{node}/lxc/{vmid}/config',
  'GET /nodes/{node}/lxc/{vmid}/status/current',
  'POST /nodes/{node}/lxc/{vmid}/status/start',
  'POST /nodes/{node}/lxc/{vmid}/status/stop',
  'POST /nodes/{node}/lxc/{vmid}/status/shutdown',
  'POST /nodes/{node}/lxc/{vmid}/status/reboot',
  'POST /nodes/{node}/lxc/{vmid}/status/suspend',
  'POST /nodes/{node}/lxc/{vmid}/status/resume',
  'POST /nodes/{node}/lxc/{vmid}/template',
  'POST /nodes/{node}/lxc/{vmid}/clone',
  'GET /nodes/{node}/lxc/{vmid}/migrate',
  'POST /nodes/{node}/lxc/{vmid}/migrate',
  'DELETE /nodes/{node}/lxc/{vmid}',
  'POST /nodes/{node}/qemu/{vmid}/status/suspend',
  'POST /nodes/{node}/qemu/{vmid}/status/resume',
  'GET /nodes/{node}/qemu/{vmid}/snapshot',
  'POST /nodes/{node}/qemu/{vmid}/snapshot',
  'GET /nodes/{node}/qemu/{vmid}/snapshot/{snapname}',
  'GET /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/config',
  'PUT /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/config',
  'POST /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback',
  'DELETE /nodes/{node}/qemu/{vmid}/snapshot/{snapname}',
  'GET /nodes/{node}/lxc/{vmid}/snapshot',
  'POST /nodes/{node}/lxc/{vmid}/snapshot',
  'GET /nodes/{node}/lxc/{vmid}/snapshot/{snapname}',
  'GET /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/config',
  'PUT /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/config',
  'POST /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback',
  'DELETE /nodes/{node}/lxc/{vmid}/snapshot/{snapname}',
  'POST /nodes/{node}/vzdump',
  'GET /nodes/{node}/storage/{storage}/content/{volume}',
  'PUT /nodes/{node}/storage/{storage}/content/{volume}',
  'GET /cluster/backup',
  'GET /cluster/backup/{id}',
  'GET /cluster/backup-info/not-backed-up',
  'GET /cluster/options',
  'POST /nodes/{node}/lxc/{vmid}/termproxy',
  'POST /nodes/{node}/termproxy',
];

function index(nodes, map = new Map()) {
  for (const n of nodes) {
    if (n.path) map.set(n.path, n);
    if (n.children) index(n.children, map);
  }
  return map;
}

const full = JSON.parse(readFileSync(SRC, 'utf8'));
const byPath = index(Array.isArray(full) ? full : [full]);
const methods = {};
for (const m of METHODS) {
  const [verb, path] = m.split(' ');
  const info = byPath.get(path)?.info?.[verb];
  if (!info) throw new Error(`not in schema: ${m}`);
  // Only what validation and permissions need; descriptions are dropped to keep the file small.
  methods[m] = {
    name: info.name,
    parameters: strip(info.parameters ?? { properties: {} }),
    permissions: info.permissions,
    proxyto: info.proxyto,
    protected: info.protected,
    allowtoken: info.allowtoken,
  };
}

function strip(v) {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) {
      // Doc strings only: a property *named* description (e.g. of a VM) is an object and stays.
      if ((k === 'description' || k === 'verbose_description' || k === 'format_description') && typeof x === 'string') continue;
      o[k] = strip(x);
    }
    return o;
  }
  return v;
}

const out = {
  _source: `extracted by scripts/extract-pve-schema.mjs from pve-api-schema-9.1.3.json (PVE 9.1.3 api-viewer/apidata.js, proxmox/pve-docs); ${METHODS.length} methods`,
  methods,
};
writeFileSync(OUT, JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${OUT}: ${METHODS.length} methods`);
