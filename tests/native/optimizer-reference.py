# Reference for tests/native/optimizer-reference.test.ts: an MLP run through torch.optim.AdamW /
# SGD (foreach=False, the single-tensor loop) with parameter groups (own weight decay and LR per
# group and step), parameters frozen for some steps (requires_grad=False: no grad, no update, no
# step count) and clip_grad_norm_. Writes the final parameters and the optimizer state under the
# names the addon's getOptimizerState() uses (<param>.step / .exp_avg / .exp_avg_sq / .momentum_buffer).
# argv: plan.json in.safetensors out.safetensors
import json, struct, sys
import torch

def read(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    h = json.loads(b[8:8 + n])
    dt = {'F32': torch.float32, 'I64': torch.int64, 'I32': torch.int32}
    out = {}
    for k, v in h.items():
        if k == '__metadata__':
            continue
        s, e = v['data_offsets']
        out[k] = torch.frombuffer(bytearray(b[8 + n + s:8 + n + e]), dtype=dt[v['dtype']]).reshape(v['shape']).clone()
    return out

def write(path, tensors):
    header, blobs, off = {}, [], 0
    for k, t in tensors.items():
        t = t.detach().contiguous()
        data = t.numpy().tobytes()
        header[k] = {'dtype': {torch.float32: 'F32', torch.int64: 'I64'}[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))

def glob_match(pat, s):
    # the addon's globMatch: '*' any run of characters (dots too), '?' one character
    p = i = 0
    star, mark = -1, 0
    while i < len(s):
        if p < len(pat) and (pat[p] == '?' or pat[p] == s[i]):
            p += 1; i += 1
        elif p < len(pat) and pat[p] == '*':
            star, mark = p, i; p += 1
        elif star >= 0:
            p = star + 1; mark += 1; i = mark
        else:
            return False
    while p < len(pat) and pat[p] == '*':
        p += 1
    return p == len(pat)

plan = json.load(open(sys.argv[1]))
torch.set_num_threads(1)
d = read(sys.argv[2])
batches = []
while f'batch.{len(batches)}.features' in d:
    i = len(batches)
    batches.append((d.pop(f'batch.{i}.features'), d.pop(f'batch.{i}.labels')))
regression = plan['task'] == 'regression'
n_hidden = len([k for k in d if k.startswith('layers.') and k.endswith('.weight')])

class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.ModuleList([torch.nn.Linear(d[f'layers.{i}.weight'].shape[1], d[f'layers.{i}.weight'].shape[0]) for i in range(n_hidden)])
        self.head = torch.nn.Linear(d['head.weight'].shape[1], d['head.weight'].shape[0])
    def forward(self, x):
        for l in self.layers:
            x = torch.relu(l(x))
        return self.head(x)

m = MLP()
m.load_state_dict(d)
named = list(m.named_parameters())
groups = plan['groups'] + [{'name': 'default', 'patterns': ['*'], 'weightDecay': plan['optimizer']['weightDecay']}]
members = {g['name']: [] for g in groups}
for name, p in named:
    g = next(g for g in groups if any(glob_match(pat, name) for pat in g['patterns']))
    members[g['name']].append(p)
o = plan['optimizer']
param_groups = [{'params': members[g['name']], 'weight_decay': g['weightDecay'], 'name': g['name']} for g in groups if members[g['name']]]
if o['name'] == 'adamw':
    opt = torch.optim.AdamW(param_groups, lr=1.0, betas=(o['beta1'], o['beta2']), eps=o['eps'], foreach=False)
else:
    opt = torch.optim.SGD(param_groups, lr=1.0, momentum=o['momentum'], nesterov=o['nesterov'], foreach=False)

for s in plan['steps']:
    for name, p in named:
        p.requires_grad_(not any(glob_match(pat, name) for pat in s['frozen']))
    for pg in opt.param_groups:
        pg['lr'] = s['lrs'][pg['name']]
    x, y = batches[s['batch']]
    opt.zero_grad(set_to_none=True)
    out = m(x)
    loss = torch.nn.functional.mse_loss(out, y.view(out.shape)) if regression else torch.nn.functional.cross_entropy(out, y.long())
    loss.backward()
    if plan['clip'] > 0:
        torch.nn.utils.clip_grad_norm_(m.parameters(), plan['clip'])
    opt.step()

out = {k: v for k, v in m.state_dict().items()}
for name, p in named:
    st = opt.state.get(p, {})
    if not st:
        continue
    if 'step' in st:
        out[name + '.step'] = torch.tensor(int(st['step']), dtype=torch.int64)
    for key in ('exp_avg', 'exp_avg_sq', 'momentum_buffer'):
        if st.get(key) is not None:
            out[name + '.' + key] = st[key]
write(sys.argv[3], out)
