// bench/proxmox-tree: the real Proxmox tree provider in a real extension host against the simulator
// (3 nodes; 1,000 / 10,000 / 50,000 guests): HTTP requests per refresh, ms from refresh to every VM
// item built, heap growth. Goals: 1 request per refresh, < 200 ms at 10,000 guests, linear growth.
import { measureInExtensionHost, runBench } from './exthost';

interface Row {
  guests: number;
  items: number;
  requestsPerRefresh: number;
  refreshToItemsMs: number;
  heapGrowthMB: number;
  heapPerGuestKB: number;
}

runBench('proxmox-tree', async () => {
  const rows = await measureInExtensionHost<Row[]>('proxmox-tree');
  for (const r of rows) console.log(`${String(r.guests).padStart(6)} guests: ${r.requestsPerRefresh} request(s), ${r.refreshToItemsMs} ms to ${r.items} items, heap +${r.heapGrowthMB} MB (${r.heapPerGuestKB} KB per guest)`);
  const at10k = rows.find((r) => r.guests === 10000);
  const slopes = rows.slice(1).map((r, i) => ((r.heapGrowthMB - rows[i].heapGrowthMB) * 1024) / (r.guests - rows[i].guests));
  const goals = {
    oneRequestPerRefresh: rows.every((r) => r.requestsPerRefresh === 1),
    under200msAt10k: at10k ? at10k.refreshToItemsMs < 200 : null,
    itemsMatchGuests: rows.every((r) => r.items === r.guests),
    // Linear: the heap added per extra guest between sizes stays within a factor of 1.5
    // (a fixed cost, the connection and the module, is in every row).
    heapLinear: slopes.length < 2 || Math.max(...slopes) <= 1.5 * Math.min(...slopes),
  };
  console.log(`heap added per extra guest between sizes: ${slopes.map((x) => `${x.toFixed(2)} KB`).join(', ')}`);
  console.log(JSON.stringify({ bench: 'proxmox-tree', rows, heapSlopeKBPerGuest: slopes.map((x) => +x.toFixed(2)), goals }));
});
