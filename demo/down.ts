/** `make demo-down`, first half: stops the local runner and the pods it runs (infra/down.ts does the rest). */
import { stopDemo } from './run-demo.ts';

await stopDemo();
