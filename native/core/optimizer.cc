// The optimizer: AdamW and SGD written out with torch.optim's formulas (decoupled weight decay,
// bias correction, momentum / nesterov), over named parameter groups each with its own LR and
// weight decay; frozen or grad-less parameters are skipped (as torch.optim skips grad=None).
// Updates run over flat per-bucket buffers (internal.h, Optimizer), a few ops per bucket.
// Also: glob matching for group patterns and named-tensor <-> host-bytes conversion.
#include "core/internal.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>
#include <set>

namespace tn {

bool globMatch(const std::string& pat, const std::string& s) {
  // '*' matches any run of characters (dots included), '?' one character.
  size_t p = 0, i = 0, star = std::string::npos, mark = 0;
  while (i < s.size()) {
    if (p < pat.size() && (pat[p] == '?' || pat[p] == s[i])) {
      ++p;
      ++i;
    } else if (p < pat.size() && pat[p] == '*') {
      star = p++;
      mark = i;
    } else if (star != std::string::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

Optimizer::Optimizer(const OptimSpec& spec, std::vector<GroupState> groups,
                     const std::vector<std::pair<std::string, torch::Tensor>>& params)
    : spec_(spec), groups_(std::move(groups)) {
  if (spec_.name != "adamw" && spec_.name != "sgd")
    invalidArg("optimizer.name must be 'adamw' or 'sgd' (got '" + spec_.name + "')");
  auto finite = [](double v, const char* what) {
    if (!std::isfinite(v)) invalidArg(std::string("optimizer.") + what + " must be finite");
  };
  finite(spec_.weightDecay, "weightDecay");
  finite(spec_.eps, "eps");
  if (!(spec_.beta1 >= 0 && spec_.beta1 < 1 && spec_.beta2 >= 0 && spec_.beta2 < 1))
    invalidArg("optimizer.betas must be in [0, 1)");
  if (!(spec_.momentum >= 0 && std::isfinite(spec_.momentum))) invalidArg("optimizer.momentum must be >= 0");
  for (auto& [name, t] : params) {
    ParamSlot slot;
    slot.name = name;
    slot.param = t;
    slot.group = -1;
    for (size_t g = 0; g < groups_.size() && slot.group < 0; ++g)
      for (auto& pat : groups_[g].patterns)
        if (globMatch(pat, name)) {
          slot.group = static_cast<int>(g);
          break;
        }
    if (slot.group < 0) slot.group = groupIndex("default");
    slots_.push_back(std::move(slot));
  }
  bucketOf_.assign(slots_.size(), -1);
  viewPtr_.assign(slots_.size(), nullptr);
  if (const char* mask = std::getenv("TRAIN_NATIVE_TEST_OPTIMIZER_MASK")) {
    // Test hook only (tests/native/optimizer-masked.test.ts): every step takes the masked path with
    // a constant flag, "apply" or "skip". Read once, here.
    const std::string m = mask;
    if (m == "apply") testMask_ = 1;
    else if (m == "skip") testMask_ = 0;
    else if (!m.empty()) invalidArg("TRAIN_NATIVE_TEST_OPTIMIZER_MASK must be apply or skip (got '" + m + "')");
  }
}

int Optimizer::groupIndex(const std::string& name) const {
  for (size_t g = 0; g < groups_.size(); ++g)
    if (groups_[g].name == name) return static_cast<int>(g);
  return -1;
}

// torch.optim's single-tensor AdamW changed its formulas twice; match the torch this LibTorch
// belongs to, bit for bit:
//  - 2.1 (pytorch#104796): exp_avg.lerp_(grad, 1 - beta1), before: exp_avg.mul_(beta1).add_(grad, 1 - beta1);
//  - 2.5 (pytorch#131358): bias_correction2 ** 0.5, before: math.sqrt(bias_correction2) (glibc's
//    pow(x, 0.5) differs from sqrt(x) in the last bit for ~0.6 % of step counts).
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
#define TN_ADAMW_LERP 1
#endif
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 5)
#define TN_ADAMW_POW_HALF 1
#endif

namespace {
bool stepping(const ParamSlot& s) { return s.param.requires_grad() && s.param.grad().defined(); }

// `t` in its own storage: frees the flat buffer of a bucket that `t` no longer belongs to.
torch::Tensor ownCopy(const torch::Tensor& t) { return t.defined() ? t.detach().clone() : t; }

torch::Tensor viewOf(const torch::Tensor& flat, int64_t offset, const torch::Tensor& like) {
  return flat.narrow(0, offset, like.numel()).view(like.sizes());
}
}  // namespace

bool Optimizer::bucketsStale() const {
  if (!bucketsValid_) return true;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const bool in = bucketOf_[i] >= 0;
    if (stepping(slots_[i]) != in) return true;
    if (in && slots_[i].param.data_ptr() != viewPtr_[i]) return true;  // replaced (set_data) since
  }
  return false;
}

void Optimizer::rebuildBuckets() {
  const bool adamw = spec_.name == "adamw";
  // Key: group, dtype, device and the step count (for SGD only whether a momentum buffer
  // exists: its update does not depend on the count). std::map keeps the order deterministic.
  using Key = std::tuple<int, int, std::string, int64_t>;
  std::map<Key, std::vector<size_t>> byKey;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const auto& s = slots_[i];
    if (!stepping(s)) continue;
    const int64_t stepKey = adamw ? s.step : (s.momentumBuffer.defined() ? 1 : 0);
    byKey[Key{s.group, static_cast<int>(s.param.scalar_type()), s.param.device().str(), stepKey}].push_back(i);
  }
  std::vector<Bucket> next;
  std::vector<int> nextOf(slots_.size(), -1);
  int64_t maxNumel = 0;
  for (auto& [key, members] : byKey) {
    Bucket b;
    b.group = std::get<0>(key);
    b.members = members;
    for (auto i : members) b.numel += slots_[i].param.numel();
    const auto opts = slots_[members.front()].param.options().requires_grad(false);
    b.param = torch::empty({b.numel}, opts);
    const auto& first = slots_[members.front()];
    if (adamw) {
      b.expAvg = torch::zeros({b.numel}, opts);  // step 0: torch.optim's zeros_like
      b.expAvgSq = torch::zeros({b.numel}, opts);
    } else if (first.momentumBuffer.defined()) {
      b.momentumBuffer = torch::empty({b.numel}, opts);
    }
    int64_t off = 0;
    for (auto i : members) {
      const auto& s = slots_[i];
      const int64_t n = s.param.numel();
      b.param.narrow(0, off, n).copy_(s.param.detach().reshape({n}));
      if (adamw && s.expAvg.defined()) {
        b.expAvg.narrow(0, off, n).copy_(s.expAvg.reshape({n}));
        b.expAvgSq.narrow(0, off, n).copy_(s.expAvgSq.reshape({n}));
      }
      if (b.momentumBuffer.defined()) b.momentumBuffer.narrow(0, off, n).copy_(s.momentumBuffer.reshape({n}));
      off += n;
      nextOf[i] = static_cast<int>(next.size());
    }
    maxNumel = std::max(maxNumel, b.numel);
    next.push_back(std::move(b));
  }
  // Everything is copied: now point the parameters and moments at the new buffers. Parameters
  // stay the same tensors (the model's), only their storage moves (set_data, as Module.to does).
  viewPtr_.assign(slots_.size(), nullptr);
  for (size_t i = 0; i < slots_.size(); ++i) {
    auto& s = slots_[i];
    if (nextOf[i] >= 0 || bucketOf_[i] < 0) continue;
    // Leaves its bucket (frozen, no gradient): give it its own storage so the old flat buffers go.
    s.param.set_data(ownCopy(s.param));
    s.expAvg = ownCopy(s.expAvg);
    s.expAvgSq = ownCopy(s.expAvgSq);
    s.momentumBuffer = ownCopy(s.momentumBuffer);
  }
  for (auto& b : next) {
    int64_t off = 0;
    for (auto i : b.members) {
      auto& s = slots_[i];
      s.param.set_data(viewOf(b.param, off, s.param));
      viewPtr_[i] = s.param.data_ptr();
      if (s.step > 0 && b.expAvg.defined()) {  // AdamW state exists once stepped (stepAdamW makes it)
        s.expAvg = viewOf(b.expAvg, off, s.param);
        s.expAvgSq = viewOf(b.expAvgSq, off, s.param);
      }
      if (b.momentumBuffer.defined()) s.momentumBuffer = viewOf(b.momentumBuffer, off, s.param);
      off += s.param.numel();
    }
  }
  buckets_ = std::move(next);
  bucketOf_ = std::move(nextOf);
  // One gradient buffer for all buckets (they run one after another on one stream).
  if (buckets_.empty()) gradScratch_ = torch::Tensor();
  else if (!gradScratch_.defined() || gradScratch_.numel() < maxNumel ||
           gradScratch_.scalar_type() != buckets_.front().param.scalar_type() ||
           gradScratch_.device() != buckets_.front().param.device())
    gradScratch_ = torch::empty({maxNumel}, buckets_.front().param.options());
  bucketsValid_ = true;
}

// One copy of every member's gradient into a flat buffer (the shared scratch when it fits).
torch::Tensor Optimizer::gatherGrads(const Bucket& b) {
  std::vector<torch::Tensor> grads;
  grads.reserve(b.members.size());
  for (auto i : b.members) grads.push_back(slots_[i].param.grad().reshape({-1}));
  const bool fits = gradScratch_.defined() && gradScratch_.numel() >= b.numel &&
                    gradScratch_.dtype() == b.param.dtype() && gradScratch_.device() == b.param.device();
  auto g = fits ? gradScratch_.narrow(0, 0, b.numel) : torch::empty({b.numel}, b.param.options());
  at::cat_out(g, grads, 0);
  return g;
}

void Optimizer::step(const std::vector<double>& lrs) {
  if (testMask_ < 0) return step(lrs, torch::Tensor());
  // Test hook (TRAIN_NATIVE_TEST_OPTIMIZER_MASK): the masked path with a constant flag.
  for (auto& s : slots_)
    if (stepping(s)) return step(lrs, torch::tensor(testMask_ == 1).to(s.param.device()));
  step(lrs, torch::Tensor());
}

void Optimizer::step(const std::vector<double>& lrs, const torch::Tensor& apply) {
  torch::NoGradGuard noGrad;
  if (apply.defined() && (apply.dim() != 0 || apply.scalar_type() != torch::kBool))
    invalidArg("optimizer step: apply must be a 0-dim bool tensor");
  if (bucketsStale()) rebuildBuckets();
  const bool adamw = spec_.name == "adamw";
  for (auto& b : buckets_) {
    for (auto i : b.members) slots_[i].step += 1;
    if (adamw) stepAdamW(b, lrs[b.group], apply);
    else stepSgd(b, lrs[b.group], apply);
  }
}

// torch.optim.AdamW, single-tensor loop (amsgrad=False), over one bucket. Each line is the same
// elementwise kernel with the same scalars as torch.optim's per-parameter line, so the bits match.
void Optimizer::stepAdamW(Bucket& b, double lr, const torch::Tensor& apply) {
  const double wd = groups_[b.group].weightDecay;
  const double beta1 = spec_.beta1, beta2 = spec_.beta2;
  const auto step = static_cast<double>(slots_[b.members.front()].step);
  if (step == 1) {  // state exists from the first update on: the slots' moments become views
    int64_t off = 0;
    for (auto i : b.members) {
      auto& s = slots_[i];
      s.expAvg = viewOf(b.expAvg, off, s.param);
      s.expAvgSq = viewOf(b.expAvgSq, off, s.param);
      off += s.param.numel();
    }
  }
  auto g = gatherGrads(b);
  const double bc1 = 1.0 - std::pow(beta1, step);
  const double bc2 = 1.0 - std::pow(beta2, step);
  const double stepSize = lr / bc1;
#ifdef TN_ADAMW_POW_HALF
  const double bc2Sqrt = std::pow(bc2, 0.5);
#else
  const double bc2Sqrt = std::sqrt(bc2);
#endif
  // Unmasked: in place. Masked: the same ops out of place, then where() commits them.
  auto& p = b.param;
  auto& m = b.expAvg;
  auto& v = b.expAvgSq;
  torch::Tensor p1, m1, v1;
  if (!apply.defined()) {
    p1 = p, m1 = m, v1 = v;
    if (wd != 0) p1.mul_(1.0 - lr * wd);
#ifdef TN_ADAMW_LERP
    m1.lerp_(g, 1.0 - beta1);
#else
    m1.mul_(beta1).add_(g, 1.0 - beta1);
#endif
    v1.mul_(beta2).addcmul_(g, g, 1.0 - beta2);
  } else {
    p1 = wd != 0 ? p.mul(1.0 - lr * wd) : p.clone();
#ifdef TN_ADAMW_LERP
    m1 = m.lerp(g, 1.0 - beta1);
#else
    m1 = m.mul(beta1).add_(g, 1.0 - beta1);
#endif
    v1 = v.mul(beta2).addcmul_(g, g, 1.0 - beta2);
  }
  // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps), built in the gradient buffer
  // (the gradient is no longer needed).
  auto& denom = g;
  at::sqrt_out(denom, v1);
  denom.div_(bc2Sqrt).add_(spec_.eps);
  p1.addcdiv_(m1, denom, -stepSize);
  if (apply.defined()) {
    at::where_out(p, apply, p1, p);
    at::where_out(m, apply, m1, m);
    at::where_out(v, apply, v1, v);
  }
}

// torch.optim.SGD (dampening 0), single-tensor loop, over one bucket.
void Optimizer::stepSgd(Bucket& b, double lr, const torch::Tensor& apply) {
  const double wd = groups_[b.group].weightDecay;
  auto d = gatherGrads(b);                // we own this buffer: torch's out-of-place
  if (wd != 0.0) d.add_(b.param, wd);     // grad.add(param, alpha=wd), in place here
  if (spec_.momentum != 0.0) {
    torch::Tensor buf;  // the updated buffer (committed below)
    if (!b.momentumBuffer.defined()) {
      // First update: buf = d.clone(). Masked off, the buffer starts at zeros: the next update
      // then gives 0 * momentum + d = d, what a fresh clone would give (up to the sign of a zero).
      b.momentumBuffer = apply.defined() ? at::where(apply, d, at::zeros({}, d.options())) : d.clone();
      buf = apply.defined() ? d : b.momentumBuffer;
      int64_t off = 0;
      for (auto i : b.members) {
        auto& s = slots_[i];
        s.momentumBuffer = viewOf(b.momentumBuffer, off, s.param);
        off += s.param.numel();
      }
    } else if (!apply.defined()) {
      buf = b.momentumBuffer.mul_(spec_.momentum).add_(d);
    } else {
      buf = b.momentumBuffer.mul(spec_.momentum).add_(d);
      at::where_out(b.momentumBuffer, apply, buf, b.momentumBuffer);
    }
    if (spec_.nesterov) d.add_(buf, spec_.momentum);  // grad.add(buf, alpha=momentum)
    else d = buf;
  }
  if (!apply.defined()) {
    b.param.add_(d, -lr);
  } else {
    at::where_out(b.param, apply, b.param.add(d, -lr), b.param);
  }
}

std::vector<NamedTensor> Optimizer::exportState() const {
  std::vector<NamedTensor> out;
  for (auto& s : slots_) {
    if (s.step == 0) continue;  // no state yet (never updated)
    out.push_back(toNamed(s.name + ".step", torch::tensor(s.step, torch::kLong).reshape({})));
    if (s.expAvg.defined()) out.push_back(toNamed(s.name + ".exp_avg", s.expAvg));
    if (s.expAvgSq.defined()) out.push_back(toNamed(s.name + ".exp_avg_sq", s.expAvgSq));
    if (s.momentumBuffer.defined()) out.push_back(toNamed(s.name + ".momentum_buffer", s.momentumBuffer));
  }
  return out;
}

void Optimizer::importState(const std::vector<NamedTensor>& entries) {
  std::map<std::string, const NamedTensor*> byName;
  for (auto& e : entries) {
    if (!byName.emplace(e.name, &e).second) invalidArg("optimizer state: duplicate entry '" + e.name + "'");
  }
  std::set<std::string> used;
  std::vector<ParamSlot> next = slots_;
  for (auto& s : next) {
    s.step = 0;
    s.expAvg = s.expAvgSq = s.momentumBuffer = torch::Tensor();
    auto it = byName.find(s.name + ".step");
    if (it == byName.end()) continue;
    used.insert(it->first);
    auto stepT = fromNamed(*it->second);
    if (stepT.numel() != 1) invalidArg("optimizer state: '" + it->first + "' must hold one value");
    s.step = stepT.to(torch::kLong).item<int64_t>();
    auto load = [&](const std::string& key, torch::Tensor& dst, bool required) {
      auto jt = byName.find(s.name + "." + key);
      if (jt == byName.end()) {
        if (required) invalidArg("optimizer state: missing '" + s.name + "." + key + "' (is it from a " + spec_.name + " run?)");
        return;
      }
      used.insert(jt->first);
      auto t = fromNamed(*jt->second);
      if (t.sizes() != s.param.sizes())
        invalidArg("optimizer state: '" + jt->first + "' has shape " + c10::str(t.sizes()) + ", parameter has " +
                   c10::str(s.param.sizes()));
      dst = t.to(s.param.device(), s.param.scalar_type());
    };
    if (spec_.name == "adamw") {
      load("exp_avg", s.expAvg, true);
      load("exp_avg_sq", s.expAvgSq, true);
    } else if (spec_.momentum != 0.0) {
      load("momentum_buffer", s.momentumBuffer, true);
    }
  }
  for (auto& [name, e] : byName)
    if (!used.count(name)) invalidArg("optimizer state: unexpected entry '" + name + "' (no such parameter / state for " + spec_.name + ")");
  slots_ = std::move(next);
  bucketsValid_ = false;  // the moments are new tensors now: the next step re-buckets them
}

int64_t Optimizer::stateBytes() const {
  int64_t n = 0;
  for (auto& s : slots_)
    for (auto* t : {&s.expAvg, &s.expAvgSq, &s.momentumBuffer})
      if (t->defined()) n += t->numel() * static_cast<int64_t>(t->element_size());
  return n;
}

// ---- named tensors ----
std::string dtypeName(c10::ScalarType t) {
  switch (t) {
    case torch::kFloat: return "F32";
    case torch::kDouble: return "F64";
    case torch::kHalf: return "F16";
    case torch::kBFloat16: return "BF16";
    case torch::kLong: return "I64";
    case torch::kInt: return "I32";
    case torch::kShort: return "I16";
    case torch::kChar: return "I8";
    case torch::kByte: return "U8";
    case torch::kBool: return "BOOL";
    default: invalidArg(std::string("unsupported dtype ") + c10::toString(t));
  }
}

static c10::ScalarType scalarTypeOf(const std::string& d, const std::string& name) {
  if (d == "F32") return torch::kFloat;
  if (d == "F64") return torch::kDouble;
  if (d == "F16") return torch::kHalf;
  if (d == "BF16") return torch::kBFloat16;
  if (d == "I64") return torch::kLong;
  if (d == "I32") return torch::kInt;
  if (d == "I16") return torch::kShort;
  if (d == "I8") return torch::kChar;
  if (d == "U8") return torch::kByte;
  if (d == "BOOL") return torch::kBool;
  invalidArg("tensor '" + name + "': unsupported dtype '" + d + "'");
}

NamedTensor toNamed(const std::string& name, const torch::Tensor& t) {
  NamedTensor e;
  e.name = name;
  auto c = t.detach().to(torch::kCPU).contiguous();
  e.dtype = dtypeName(c.scalar_type());
  e.shape.assign(c.sizes().begin(), c.sizes().end());
  const size_t n = static_cast<size_t>(c.numel()) * c.element_size();
  e.data.resize(n);
  if (n) std::memcpy(e.data.data(), c.data_ptr(), n);  // host is little-endian (x86-64 / arm64)
  return e;
}

torch::Tensor fromNamed(const NamedTensor& e) {
  auto st = scalarTypeOf(e.dtype, e.name);
  int64_t numel = 1;
  for (auto d : e.shape) {
    if (d < 0) invalidArg("tensor '" + e.name + "': negative dimension");
    numel *= d;
  }
  auto t = torch::empty(e.shape, torch::TensorOptions().dtype(st));
  const size_t n = static_cast<size_t>(numel) * t.element_size();
  if (n != e.data.size())
    invalidArg("tensor '" + e.name + "': " + std::to_string(e.data.size()) + " bytes for shape " + c10::str(e.shape) +
               " " + e.dtype + " (expected " + std::to_string(n) + ")");
  if (n) std::memcpy(t.data_ptr(), e.data.data(), n);
  return t;
}

}  // namespace tn
