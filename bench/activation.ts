// bench/activation: require + activate() of the production bundle inside a real VS Code extension
// host (code-server), ten times; prints median and max ms and the bundle's bytes (JSON last line).
// Goals: median under 50 ms, bundle under 1.5 MB.
import { measureInExtensionHost, runBench } from './exthost';

interface Result {
  medianMs: number;
  maxMs: number;
  bundleBytes: number;
}

runBench('activation', async () => {
  const r = await measureInExtensionHost<Result>('activation');
  const goals = { medianUnder50ms: r.medianMs < 50, bundleUnder1_5MB: r.bundleBytes < 1.5 * 1024 * 1024 };
  console.log(`activation: median ${r.medianMs} ms, max ${r.maxMs} ms, bundle ${(r.bundleBytes / 1024).toFixed(0)} KiB`);
  console.log(JSON.stringify({ bench: 'activation', ...r, goals }));
});
