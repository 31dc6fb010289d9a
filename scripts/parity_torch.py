#!/usr/bin/env python3
"""Checks docs/parity/activations.json against PyTorch: evaluates every case's expression and its
autograd derivative in float32 and float64 and prints the largest scaled difference
|got - want| / max(1, |want|) per dtype. Needs torch; nothing in the test suite runs this."""
import json
import os
import sys

import torch
import torch.nn.functional as F

PATH = os.path.join(os.path.dirname(__file__), '..', 'docs', 'parity', 'activations.json')


def scaled(got, want):
    want = torch.tensor(want, dtype=torch.float64)
    return ((got.to(torch.float64) - want).abs() / want.abs().clamp(min=1)).max().item()


def main():
    data = json.load(open(PATH))
    worst = {'float32': (0.0, ''), 'float64': (0.0, '')}
    for case in data['cases']:
        for name, dtype in (('float32', torch.float32), ('float64', torch.float64)):
            x = torch.tensor(case['x'], dtype=dtype, requires_grad=True)
            env = {'torch': torch, 'F': F, 'x': x, **{k: float(v) for k, v in case['params'].items()}}
            y = eval(case['torch'], env)  # the file's own expression, as a user would paste it
            (dy,) = torch.autograd.grad(y.sum(), x)
            label = f"{case['kind']} {case['params']}"
            for what, got, want in (('f', y.detach(), case[name]['y']), ("f'", dy, case[name]['dy'])):
                d = scaled(got, want)
                if d > worst[name][0]:
                    worst[name] = (d, f'{label} {what}')
    for name, (d, where) in worst.items():
        print(f'{name}: max scaled difference {d:.3g} ({where or "all equal"}); tolerance {data["tolerance"][name]}')
    ok = all(worst[n][0] <= data['tolerance'][n] for n in worst)
    print(f'torch {torch.__version__}: {"within" if ok else "OUTSIDE"} tolerance')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
