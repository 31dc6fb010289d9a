/**
 * The property suite (helpers/property-suite.ts) at full size: about 100,000 seeded cases, for
 * `npm run test:full`. property.test.ts runs a fiftieth of them in `npm test`.
 */
import { definePropertySuite } from './helpers/property-suite';

definePropertySuite(1);
