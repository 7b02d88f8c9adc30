// bench/k8s-tree: the real Kubernetes tree in a real extension host against the API test server
// (50 namespaces, 500 Deployments, 5,000 pods): time to the first full tree (every Deployment and
// pod item built), heap it adds, ms from an outside change to the tree event, and list/watch
// requests per minute in steady state; view open → first cluster row; all namespaces: click on Pods
// → every pod row built (+ heap). Goals: < 1 s, < 300 ms, zero polling requests, < 0.4 s, < 0.5 s.
import { measureInExtensionHost, runBench } from './exthost';

interface Result {
  namespaces: number; deployments: number; pods: number; items: number; watches: number;
  firstTreeMs: number; heapMB: number;
  viewOpenToFirstRowMs: { median: number; max: number };
  allNamespacesPods: { rows: number; ms: number; heapMB: number };
  changeToTreeMs: { median: number; p95: number; max: number };
  steadySeconds: number; listPerMinute: number; watchRequestsPerMinute: number; totalRequestsPerMinute: number;
}

runBench('k8s-tree', async () => {
  const r = await measureInExtensionHost<Result>('k8s-tree');
  console.log(`${r.namespaces} namespaces, ${r.deployments} deployments, ${r.pods} pods: ${r.items} items over ${r.watches} watches`);
  console.log(`first full tree: ${r.firstTreeMs} ms; heap +${r.heapMB} MB`);
  console.log(`view open → first cluster row: median ${r.viewOpenToFirstRowMs.median} ms, max ${r.viewOpenToFirstRowMs.max} ms`);
  console.log(`all namespaces, click on Pods → ${r.allNamespacesPods.rows} rows built: ${r.allNamespacesPods.ms} ms; heap +${r.allNamespacesPods.heapMB} MB`);
  console.log(`outside change → tree event: median ${r.changeToTreeMs.median} ms, p95 ${r.changeToTreeMs.p95} ms, max ${r.changeToTreeMs.max} ms`);
  console.log(`steady state (${r.steadySeconds} s): ${r.listPerMinute} lists/min, ${r.watchRequestsPerMinute} watch requests/min, ${r.totalRequestsPerMinute} requests/min`);
  const goals = {
    firstTreeUnder1s: r.firstTreeMs < 1000,
    changeUnder300ms: r.changeToTreeMs.p95 < 300,
    zeroPolling: r.listPerMinute === 0 && r.watchRequestsPerMinute === 0,
    allItems: r.items === r.deployments + r.pods,
    viewOpenToRowUnder400ms: r.viewOpenToFirstRowMs.max < 400,
    allPodsUnder500ms: r.allNamespacesPods.ms < 500 && r.allNamespacesPods.rows === r.pods,
  };
  console.log(JSON.stringify({ bench: 'k8s-tree', ...r, goals }));
});
