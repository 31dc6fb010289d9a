/** Worker-thread entry of the asynchronous (Hogwild) trainer; the math is in ./hogwild. */
import { parentPort, workerData } from 'worker_threads';
import { runHogwildWorker } from './hogwild';

if (parentPort) runHogwildWorker(workerData, parentPort);
