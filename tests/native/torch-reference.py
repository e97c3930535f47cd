# Reference for tests/native/torch-reference.test.ts: the same MLP, batch and hyper-parameters run
# through PyTorch's own torch.optim.AdamW / SGD and clip_grad_norm_ (Debian's python torch).
# argv: in.safetensors out.safetensors optimizer steps lr clip
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
        data = t.contiguous().numpy().tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))

src, dst, opt_name, steps, lr, clip = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
torch.set_num_threads(1)
d = read(src)
x, y = d.pop('batch.features'), d.pop('batch.labels').long()
hidden = [d[f'layers.{i}.weight'].shape[0] for i in range(len([k for k in d if k.startswith('layers.') and k.endswith('.weight')]))]

class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        dims = [x.shape[1]] + hidden
        self.layers = torch.nn.ModuleList([torch.nn.Linear(dims[i], dims[i + 1]) for i in range(len(hidden))])
        self.head = torch.nn.Linear(dims[-1], d['head.weight'].shape[0])
    def forward(self, x):
        for l in self.layers:
            x = torch.relu(l(x))
        return self.head(x)

m = MLP()
m.load_state_dict(d)
if opt_name == 'adamw':
    opt = torch.optim.AdamW(m.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, foreach=False)
else:
    opt = torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=0.01, foreach=False)
for _ in range(steps):
    opt.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(m(x), y)
    loss.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(m.parameters(), clip)
    opt.step()
write(dst, {k: v.detach() for k, v in m.state_dict().items()})
