// The optimizer: AdamW and SGD written out with torch.optim's formulas (decoupled weight decay,
// bias correction, momentum / nesterov), over named parameter groups each with its own LR and
// weight decay; frozen or grad-less parameters are skipped (as torch.optim skips grad=None).
// Also: glob matching for group patterns and named-tensor <-> host-bytes conversion.
#include "core/internal.h"

#include <cmath>
#include <cstring>
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
}

int Optimizer::groupIndex(const std::string& name) const {
  for (size_t g = 0; g < groups_.size(); ++g)
    if (groups_[g].name == name) return static_cast<int>(g);
  return -1;
}

void Optimizer::step(const std::vector<double>& lrs) {
  torch::NoGradGuard noGrad;
  const bool adamw = spec_.name == "adamw";
  for (auto& s : slots_) {
    if (!s.param.requires_grad() || !s.param.grad().defined()) continue;
    const double lr = lrs[s.group];
    const double wd = groups_[s.group].weightDecay;
    auto& p = s.param;
    auto grad = s.param.grad();
    if (adamw) {
      // torch.optim.AdamW (single-tensor, amsgrad=False)
      if (!s.expAvg.defined()) {
        s.expAvg = torch::zeros_like(p, torch::MemoryFormat::Preserve);
        s.expAvgSq = torch::zeros_like(p, torch::MemoryFormat::Preserve);
      }
      s.step += 1;
      p.mul_(1.0 - lr * wd);
      s.expAvg.mul_(spec_.beta1).add_(grad, 1.0 - spec_.beta1);
      s.expAvgSq.mul_(spec_.beta2).addcmul_(grad, grad, 1.0 - spec_.beta2);
      const double bc1 = 1.0 - std::pow(spec_.beta1, static_cast<double>(s.step));
      const double bc2 = 1.0 - std::pow(spec_.beta2, static_cast<double>(s.step));
      const double stepSize = lr / bc1;
      auto denom = (s.expAvgSq.sqrt() / std::sqrt(bc2)).add_(spec_.eps);
      p.addcdiv_(s.expAvg, denom, -stepSize);
    } else {
      // torch.optim.SGD (dampening 0)
      auto d = wd != 0.0 ? grad.add(p, wd) : grad;
      if (spec_.momentum != 0.0) {
        if (!s.momentumBuffer.defined()) {
          s.momentumBuffer = d.clone().detach();
        } else {
          s.momentumBuffer.mul_(spec_.momentum).add_(d);
        }
        d = spec_.nesterov ? d.add(s.momentumBuffer, spec_.momentum) : s.momentumBuffer;
      }
      s.step += 1;
      p.add_(d, -lr);
    }
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

// Placeholder until the flat-buffer optimizer lands: reads the flag back (a sync on CUDA).
void Optimizer::step(const std::vector<double>& lrs, const torch::Tensor& apply) {
  if (!apply.defined() || apply.item<bool>()) step(lrs);
}

}  // namespace tn
