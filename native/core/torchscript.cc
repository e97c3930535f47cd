// TorchScript models (SPEC §14): a module written by torch.jit.script / torch.jit.trace, trained
// like the built-in models. Its parameters and buffers are mirrored into an nn::Module tree under
// their state_dict names (conv1.weight, bn1.running_mean, ...): the tensors are shared, not
// copied, so the optimizer, state I/O, freezing patterns, device moves and histograms all act on
// the module's own tensors. train()/eval() reach the module too (BatchNorm, dropout).
#include "core/internal.h"

#include <torch/script.h>

namespace tn {
namespace {

struct TorchScriptModel : Model {
  torch::jit::Module module;
  ModelSpec s;

  TorchScriptModel(torch::jit::Module m, const ModelSpec& spec) : module(std::move(m)), s(spec) {
    module.train(true);
    for (const auto& p : module.named_parameters(/*recurse=*/true)) mirror(p.name, p.value, true);
    for (const auto& b : module.named_buffers(/*recurse=*/true)) mirror(b.name, b.value, false);
  }

  // Registers `t` under its dotted name, creating the intermediate modules.
  void mirror(const std::string& dotted, const torch::Tensor& t, bool parameter) {
    torch::nn::Module* at = this;
    size_t start = 0;
    for (size_t dot = dotted.find('.'); dot != std::string::npos; dot = dotted.find('.', start)) {
      const std::string part = dotted.substr(start, dot - start);
      auto children = at->named_children();
      auto* found = children.find(part);
      at = found ? found->get() : at->register_module(part, std::make_shared<torch::nn::Module>()).get();
      start = dot + 1;
    }
    const std::string leaf = dotted.substr(start);
    if (parameter) at->register_parameter(leaf, t, t.requires_grad());
    else at->register_buffer(leaf, t);
  }

  void train(bool on) override {
    torch::nn::Module::train(on);
    // The session sets the mode before every step and evaluation: only a change reaches the
    // module (setting its `training` attributes costs more than a small step itself).
    if (moduleTraining != on) {
      module.train(on);
      moduleTraining = on;
    }
  }
  bool moduleTraining = true;

  torch::Tensor inputOf(const DeviceBatch& b) const {
    if (s.input == "tokens") {
      if (!b.tokens.defined()) invalidArg("this torchscript model takes `tokens`");
      return b.tokens;
    }
    if (!b.features.defined()) invalidArg("this torchscript model takes `features`");
    if (s.inputShape.empty()) return b.features;
    std::vector<int64_t> shape{b.batchSize};
    shape.insert(shape.end(), s.inputShape.begin(), s.inputShape.end());
    return b.features.view(shape);
  }

  Prediction forward(const DeviceBatch& b, const RunCtx& ctx) override {
    (void)ctx;  // dropout inside the module uses the global generator (CPU) or the device's
    auto x = inputOf(b);
    auto target = b.labels;
    if (target.defined() && s.task == "regression") target = target.view({b.batchSize, s.outputDim});
    if (s.loss == "model") {
      if (!target.defined()) {
        // No targets (predict): the module's forward(x) gives the outputs.
        return checked(module.forward({x}), b, Prediction{s.task, {}, {}});
      }
      auto out = module.forward({x, target});
      if (!out.isTensor() || out.toTensor().numel() != 1)
        invalidArg("MODEL.LOSS model: forward(inputs, targets) must return the loss as a single-element tensor");
      return Prediction{"loss", out.toTensor().reshape({}), target};
    }
    return checked(module.forward({x}), b, Prediction{s.task, {}, target});
  }

  // What only the module's output can tell: its shape against the task.
  Prediction checked(const c10::IValue& v, const DeviceBatch& b, Prediction p) const {
    if (!v.isTensor()) invalidArg("the module's forward must return a tensor, got " + v.tagKind());
    auto out = v.toTensor();
    const int64_t want = s.task == "classification" ? s.numClasses : s.outputDim;
    if (out.dim() != 2 || out.size(0) != b.batchSize || out.size(1) != want)
      invalidArg("the module's output has shape " + c10::str(out.sizes()) + " for a batch of " + std::to_string(b.batchSize) +
                 "; " + s.task + " needs [" + std::to_string(b.batchSize) + ", " + std::to_string(want) + "]");
    p.out = out;
    return p;
  }
};

}  // namespace

std::shared_ptr<Model> loadTorchScriptModel(const ModelSpec& spec) {
  torch::jit::Module m;
  try {
    m = torch::jit::load(spec.scriptPath, torch::kCPU);
  } catch (const c10::Error& e) {
    // A file from a newer PyTorch names its format version; say which LibTorch read it.
    invalidArg("cannot load TorchScript module " + spec.scriptPath + " with LibTorch " + TORCH_VERSION + ": " +
               e.what_without_backtrace());
  }
  return std::make_shared<TorchScriptModel>(std::move(m), spec);
}

void saveTorchScriptModel(Model& model, const std::string& path) {
  auto* ts = dynamic_cast<TorchScriptModel*>(&model);
  if (!ts) invalidArg("only torchscript models export as TorchScript");
  // A deep copy: the live parameters may be views into the optimizer's flat buffers.
  auto copy = ts->module.clone();
  copy.to(torch::kCPU);
  copy.eval();
  copy.save(path);
}

}  // namespace tn
