// Using a trained model: predict (probabilities or values per sample) and text generation with a
// key/value cache and seeded sampling. Both run in eval mode without gradients, on the session
// thread like every other call, and leave the training state (dropout RNG, optimizer) untouched.
#include "core/session_impl.h"

#include <cmath>
#include <limits>

namespace tn {

PredictResult Session::predict(const HostBatch& h) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    if (im.opts.model.type == "gpt") invalidArg("predict needs a classification or regression model; gpt models generate");
    auto b = h.split.empty() ? prepare(h, im.opts, im.device) : prepareIndexed(h, im.opts, im.device, im.data);
    // Inference mode, not just no-grad: no version counters or view tracking on the way.
    c10::InferenceMode inference;
    CallScope scope(im.opts, im.device, false, true);
    im.model->eval();
    im.ctx.training = false;
    auto p = im.model->forward(b, im.ctx);
    auto out = p.out.to(torch::kFloat);
    if (p.kind == "classification") out = torch::softmax(out, -1);
    out = out.to(torch::kCPU).contiguous();
    PredictResult r;
    r.kind = p.kind;
    r.shape = {out.size(0), out.size(1)};
    r.values.assign(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
    return r;
  });
}

namespace {

// One token from `logits` [V]: greedy at temperature 0, else top-k, then nucleus (top-p)
// filtering of the tempered distribution and a draw from the generation's own generator.
int64_t sampleToken(const torch::Tensor& logitsOnDevice, const SampleOptions& o, at::Generator& rng) {
  auto logits = logitsOnDevice.to(torch::kCPU, torch::kFloat).contiguous();
  if (o.temperature <= 0) return logits.argmax().item<int64_t>();
  logits = logits / o.temperature;
  const int64_t v = logits.size(0);
  const float ninf = -std::numeric_limits<float>::infinity();
  if (o.topK > 0 && o.topK < v) {
    auto kth = std::get<0>(logits.topk(o.topK)).select(0, o.topK - 1);
    logits = logits.masked_fill(logits < kth, ninf);
  }
  if (o.topP < 1.0) {
    auto sorted = logits.sort(/*dim=*/0, /*descending=*/true);
    auto values = std::get<0>(sorted), order = std::get<1>(sorted);
    auto probs = torch::softmax(values, 0);
    // Drop a token when the tokens ranked above it already reach topP (the first always stays).
    auto drop = (probs.cumsum(0) - probs) >= o.topP;
    logits = logits.scatter(0, order, values.masked_fill(drop, ninf));
  }
  auto probs = torch::softmax(logits, 0);
  return torch::multinomial(probs, 1, false, rng).item<int64_t>();
}

// Rebuilds the cache from `window` (a prefill) and leaves the next token's logits.
void prefill(Model& model, Generation& g, const torch::Device& dev) {
  g.cache.length = 0;
  auto t = torch::tensor(g.window, torch::TensorOptions().dtype(torch::kLong)).view({1, -1}).to(dev);
  g.nextLogits = model.decode(t, g.cache);
}

}  // namespace

void Session::beginGeneration(const std::vector<int64_t>& prompt, const SampleOptions& opts) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  guarded([&] {
    const auto& s = im.opts.model;
    if (s.type != "gpt") invalidArg("only gpt models generate text (this model is a " + s.type + ")");
    if (prompt.empty()) invalidArg("the prompt must hold at least one token");
    for (size_t i = 0; i < prompt.size(); ++i)
      if (prompt[i] < 0 || prompt[i] >= s.vocabSize)
        invalidArg("prompt[" + std::to_string(i) + "] = " + std::to_string(prompt[i]) + " is outside [0, " +
                   std::to_string(s.vocabSize) + ")");
    if (!(opts.temperature >= 0) || !std::isfinite(opts.temperature)) invalidArg("temperature must be >= 0");
    if (opts.topK < 0) invalidArg("topK must be >= 0");
    if (!(opts.topP > 0 && opts.topP <= 1)) invalidArg("topP must be in (0, 1]");
    if (opts.contextLength < 0 || opts.contextLength > s.tokenLimit)
      invalidArg("contextLength must be in [0, " + std::to_string(s.tokenLimit) + "]");
    auto g = std::make_unique<Generation>();
    g->opts = opts;
    if (g->opts.contextLength == 0) g->opts.contextLength = s.tokenLimit;
    g->rng = at::make_generator<at::CPUGeneratorImpl>(opts.seed);
    g->cache.capacity = g->opts.contextLength;
    const size_t ctx = static_cast<size_t>(g->opts.contextLength);
    g->window.assign(prompt.size() > ctx ? prompt.end() - static_cast<std::ptrdiff_t>(ctx) : prompt.begin(), prompt.end());
    c10::InferenceMode inference;  // the cache is made here and only ever used in inference mode
    CallScope scope(im.opts, im.device, false, true);
    im.model->eval();
    prefill(*im.model, *g, im.device);
    im.generation = std::move(g);
    return 0;
  });
}

std::vector<int64_t> Session::generate(int64_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& im = live();
  return guarded([&] {
    if (!im.generation) invalidArg("no generation in progress (beginGeneration first)");
    if (count < 1) invalidArg("count must be >= 1");
    auto& g = *im.generation;
    c10::InferenceMode inference;
    CallScope scope(im.opts, im.device, false, true);
    im.model->eval();
    std::vector<int64_t> out;
    out.reserve(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      const int64_t token = sampleToken(g.nextLogits, g.opts, g.rng);
      out.push_back(token);
      g.window.push_back(token);
      if (g.cache.length < g.cache.capacity) {
        auto t = torch::full({1, 1}, token, torch::TensorOptions().dtype(torch::kLong).device(im.device));
        g.nextLogits = im.model->decode(t, g.cache);
      } else {
        // The context is full: keep its newer half and rebuild the cache over it (positions are
        // learned, so the window restarts at position 0 rather than sliding).
        const size_t keep = static_cast<size_t>(std::max<int64_t>(1, g.cache.capacity / 2));
        g.window.erase(g.window.begin(), g.window.end() - static_cast<std::ptrdiff_t>(keep));
        prefill(*im.model, g, im.device);
      }
    }
    return out;
  });
}

}  // namespace tn
