/**
 * The property suite (helpers/property-suite.ts) at a fiftieth of its run counts: about 2,000
 * seeded cases, for `npm test`. property.full.test.ts runs all 100,000.
 */
import { definePropertySuite } from './helpers/property-suite';

definePropertySuite(0.02);
