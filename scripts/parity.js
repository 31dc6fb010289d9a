#!/usr/bin/env node
// Writes docs/parity/activations.json from the float64 reference (build first: npm run build:ts).
'use strict';
const fs = require('fs');
const path = require('path');
const { formatParity, parityVectors } = require('../dist/parity');

const out = path.join(__dirname, '..', 'docs', 'parity', 'activations.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, formatParity(parityVectors()));
console.log(`wrote ${path.relative(process.cwd(), out)}`);
