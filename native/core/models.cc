// The models: `mlp` (tabular classification / regression), `transformer` (token sequences to a
// class or value, masked-token head for stage-1 pretraining, optional maskable metadata) and
// `gpt` (causal LM). Parameter names follow PyTorch conventions (encoder.layers.0.attn.q_proj.weight,
// head.weight) so that group patterns and prefix loading read naturally.
#include "core/internal.h"

namespace tn {
namespace {

namespace nn = torch::nn;

struct AttentionImpl : nn::Module {
  nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
  int64_t heads, chunk;
  bool causal, recompute;
  AttentionImpl(int64_t d, int64_t h, int64_t chunkSize, bool isCausal, bool recomputeChunks)
      : heads(h), chunk(chunkSize), causal(isCausal), recompute(recomputeChunks) {
    q_proj = register_module("q_proj", nn::Linear(d, d));
    k_proj = register_module("k_proj", nn::Linear(d, d));
    v_proj = register_module("v_proj", nn::Linear(d, d));
    out_proj = register_module("out_proj", nn::Linear(d, d));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keyPad) {
    const auto b = x.size(0), n = x.size(1), d = x.size(2);
    // The three projections as one GEMM over the concatenated weights (nn.MultiheadAttention's
    // packed in_proj): the parameters stay q_proj / k_proj / v_proj, the product is one wider
    // matrix multiply instead of three narrow ones (the same sums per output element).
    auto w = torch::cat({q_proj->weight, k_proj->weight, v_proj->weight}, 0);
    auto bias = torch::cat({q_proj->bias, k_proj->bias, v_proj->bias}, 0);
    auto qkv = torch::linear(x, w, bias).view({b, n, 3, heads, d / heads}).permute({2, 0, 3, 1, 4});
    auto y = attention(qkv[0], qkv[1], qkv[2], keyPad, causal, chunk, recompute);
    return out_proj(y.transpose(1, 2).contiguous().view({b, n, d}));
  }
  // Incremental decoding: the new positions' keys and values go into the cache at `pos`; queries
  // attend to every cached position (a prefill into an empty cache is causal among its own).
  torch::Tensor forwardCached(const torch::Tensor& x, torch::Tensor& kc, torch::Tensor& vc, int64_t pos, int64_t capacity) {
    const auto b = x.size(0), n = x.size(1), d = x.size(2);
    auto split = [&](const torch::Tensor& t) { return t.view({b, n, heads, d / heads}).transpose(1, 2); };
    auto q = split(q_proj(x)), k = split(k_proj(x)), v = split(v_proj(x));
    if (!kc.defined()) {
      kc = torch::zeros({b, heads, capacity, d / heads}, k.options());
      vc = torch::zeros({b, heads, capacity, d / heads}, v.options());
    }
    kc.narrow(2, pos, n).copy_(k);
    vc.narrow(2, pos, n).copy_(v);
    auto keys = kc.narrow(2, 0, pos + n), values = vc.narrow(2, 0, pos + n);
    auto y = n == 1 ? attention(q, keys, values, torch::Tensor(), false, 0)
                    : attention(q, keys, values, torch::Tensor(), causal, chunk, recompute);
    return out_proj(y.transpose(1, 2).contiguous().view({b, n, d}));
  }
};
TORCH_MODULE(Attention);

struct FeedForwardImpl : nn::Module {
  nn::Linear fc1{nullptr}, fc2{nullptr};
  FeedForwardImpl(int64_t d, int64_t ff) {
    fc1 = register_module("fc1", nn::Linear(d, ff));
    fc2 = register_module("fc2", nn::Linear(ff, d));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::gelu(fc1(x))); }
};
TORCH_MODULE(FeedForward);

// Pre-LayerNorm block: x + attn(ln1(x)), then x + ff(ln2(x)).
struct BlockImpl : nn::Module {
  nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  Attention attn{nullptr};
  FeedForward ff{nullptr};
  double p;
  BlockImpl(const ModelSpec& s, bool causal) : p(s.dropout) {
    ln1 = register_module("ln1", nn::LayerNorm(nn::LayerNormOptions({s.dModel})));
    attn = register_module("attn", Attention(s.dModel, s.numHeads, s.attentionChunkSize, causal, s.attentionRecompute));
    ln2 = register_module("ln2", nn::LayerNorm(nn::LayerNormOptions({s.dModel})));
    ff = register_module("ff", FeedForward(s.dModel, s.ffDim > 0 ? s.ffDim : 4 * s.dModel));
  }
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& keyPad, const RunCtx& ctx) {
    x = x + dropout(attn->forward(ln1(x), keyPad), p, ctx);
    return x + dropout(ff->forward(ln2(x)), p, ctx);
  }
  torch::Tensor forwardCached(torch::Tensor x, torch::Tensor& kc, torch::Tensor& vc, int64_t pos, int64_t capacity) {
    x = x + attn->forwardCached(ln1(x), kc, vc, pos, capacity);
    return x + ff->forward(ln2(x));
  }
};
TORCH_MODULE(Block);

struct EncoderImpl : nn::Module {
  nn::Embedding embed{nullptr}, pos_embed{nullptr};
  nn::ModuleList layers;
  nn::LayerNorm ln_f{nullptr};
  std::vector<Block> blocks;
  double p;
  EncoderImpl(const ModelSpec& s, bool causal) : p(s.dropout) {
    embed = register_module("embed", nn::Embedding(s.vocabSize, s.dModel));
    pos_embed = register_module("pos_embed", nn::Embedding(s.tokenLimit, s.dModel));
    layers = register_module("layers", nn::ModuleList());
    for (int64_t i = 0; i < s.numLayers; ++i) {
      blocks.push_back(Block(s, causal));
      layers->push_back(blocks.back());
    }
    ln_f = register_module("ln_f", nn::LayerNorm(nn::LayerNormOptions({s.dModel})));
  }
  torch::Tensor forward(const torch::Tensor& tokens, const torch::Tensor& keyPad, const RunCtx& ctx) {
    const auto n = tokens.size(1);
    auto pos = torch::arange(n, torch::TensorOptions().dtype(torch::kLong).device(tokens.device()));
    auto x = dropout(embed(tokens) + pos_embed(pos).unsqueeze(0), p, ctx);
    for (auto& b : blocks) x = b->forward(x, keyPad, ctx);
    return ln_f(x);
  }
  // Eval-mode forward of `tokens` [1, n] at positions cache.length.. through the cache.
  torch::Tensor forwardCached(const torch::Tensor& tokens, KvCache& c) {
    const auto n = tokens.size(1);
    if (c.length > 0 && n != 1) invalidArg("decode: only one token at a time after the prompt");
    if (c.length + n > c.capacity) invalidArg("decode: the key/value cache is full");
    if (c.keys.size() != blocks.size()) {
      c.keys.assign(blocks.size(), torch::Tensor());
      c.values.assign(blocks.size(), torch::Tensor());
    }
    auto pos = torch::arange(c.length, c.length + n, torch::TensorOptions().dtype(torch::kLong).device(tokens.device()));
    auto x = embed(tokens) + pos_embed(pos).unsqueeze(0);
    for (size_t i = 0; i < blocks.size(); ++i) x = blocks[i]->forwardCached(x, c.keys[i], c.values[i], c.length, c.capacity);
    c.length += n;
    return ln_f(x);
  }
};
TORCH_MODULE(Encoder);

struct MlpModel : Model {
  nn::ModuleList layers;
  std::vector<nn::Linear> hidden;
  nn::Linear head{nullptr};
  ModelSpec s;
  explicit MlpModel(const ModelSpec& spec) : s(spec) {
    layers = register_module("layers", nn::ModuleList());
    int64_t in = s.inputDim;
    for (auto h : s.hiddenSizes) {
      hidden.push_back(nn::Linear(in, h));
      layers->push_back(hidden.back());
      in = h;
    }
    head = register_module("head", nn::Linear(in, s.task == "classification" ? s.numClasses : s.outputDim));
  }
  Prediction forward(const DeviceBatch& b, const RunCtx& ctx) override {
    if (!b.features.defined()) invalidArg("mlp batches need `features` (Float32Array)");
    auto x = b.features;
    for (auto& l : hidden) x = dropout(torch::relu(l(x)), s.dropout, ctx);
    return supervised(head(x), b, s);
  }
  static Prediction supervised(const torch::Tensor& out, const DeviceBatch& b, const ModelSpec& s) {
    Prediction p;
    p.out = out;
    p.kind = s.task;
    p.target = b.labels;
    if (p.target.defined() && s.task == "regression") p.target = p.target.view({b.batchSize, s.outputDim});
    return p;
  }
};

torch::Tensor paddingOf(const torch::Tensor& tokens, const ModelSpec& s) {
  if (s.padTokenId < 0) return {};
  return tokens.eq(s.padTokenId);
}

struct TransformerModel : Model {
  Encoder encoder{nullptr};
  nn::Linear meta_proj{nullptr}, head{nullptr}, mlm_head{nullptr};
  ModelSpec s;
  explicit TransformerModel(const ModelSpec& spec) : s(spec) {
    encoder = register_module("encoder", Encoder(s, false));
    // Metadata enters as [values * keep, keep]: the model can tell "masked" from "zero".
    if (s.metaDim > 0) meta_proj = register_module("meta_proj", nn::Linear(2 * s.metaDim, s.dModel));
    head = register_module("head", nn::Linear(s.dModel, s.task == "classification" ? s.numClasses : s.outputDim));
    if (s.maskedTokenHead) mlm_head = register_module("mlm_head", nn::Linear(s.dModel, s.vocabSize));
  }
  Prediction forward(const DeviceBatch& b, const RunCtx& ctx) override {
    if (!b.tokens.defined()) invalidArg("transformer batches need `tokens`");
    auto pad = paddingOf(b.tokens, s);
    auto h = encoder->forward(b.tokens, pad, ctx);  // [B, N, D]
    if (b.objective == "masked_tokens") {
      if (!mlm_head) invalidArg("this transformer has no masked-token head (maskedTokenHead: false)");
      if (!b.targets.defined()) invalidArg("masked_tokens batches need `targets` (-100 = not masked)");
      return Prediction{"tokens", mlm_head(h), b.targets};
    }
    torch::Tensor pooled;
    if (pad.defined()) {
      auto keep = torch::logical_not(pad).unsqueeze(-1).to(h.scalar_type());
      pooled = (h * keep).sum(1) / keep.sum(1).clamp_min(1.0);
    } else {
      pooled = h.mean(1);
    }
    if (s.metaDim > 0) {
      torch::Tensor meta = b.meta.defined() ? b.meta : torch::zeros({b.batchSize, s.metaDim}, h.options().dtype(torch::kFloat));
      torch::Tensor keep = b.metaMask.defined() ? b.metaMask
                           : (b.meta.defined() ? torch::ones_like(meta) : torch::zeros_like(meta));
      pooled = pooled + meta_proj(torch::cat({meta * keep, keep}, 1));
    } else if (b.meta.defined()) {
      invalidArg("batch has `meta` but the model was built with metaDim 0");
    }
    return MlpModel::supervised(head(pooled), b, s);
  }
};

struct GptModel : Model {
  Encoder encoder{nullptr};
  nn::Linear lm_head{nullptr};
  ModelSpec s;
  explicit GptModel(const ModelSpec& spec) : s(spec) {
    encoder = register_module("encoder", Encoder(s, true));
    lm_head = register_module("lm_head", nn::Linear(nn::LinearOptions(s.dModel, s.vocabSize).bias(false)));
  }
  Prediction forward(const DeviceBatch& b, const RunCtx& ctx) override {
    if (!b.tokens.defined()) invalidArg("gpt batches need `tokens`");
    auto tokens = b.tokens;
    auto targets = b.targets;
    if (!targets.defined()) {
      // Next-token prediction inside the block: inputs [:, :-1], targets [:, 1:].
      if (tokens.size(1) < 2) invalidArg("gpt batches without `targets` need sequences of length >= 2");
      targets = tokens.slice(1, 1);
      tokens = tokens.slice(1, 0, tokens.size(1) - 1);
    }
    auto h = encoder->forward(tokens, torch::Tensor(), ctx);
    return Prediction{"tokens", lm_head(h), targets};
  }
  torch::Tensor decode(const torch::Tensor& tokens, KvCache& cache) override {
    auto h = encoder->forwardCached(tokens, cache);  // [1, n, D]
    return lm_head(h.select(1, h.size(1) - 1)).select(0, 0);
  }
};

void checkSpec(const ModelSpec& s) {
  auto pos = [](int64_t v, const char* what) {
    if (v < 1) invalidArg(std::string("model.") + what + " must be >= 1 (got " + std::to_string(v) + ")");
  };
  if (s.task != "classification" && s.task != "regression")
    invalidArg("model.task must be 'classification' or 'regression' (got '" + s.task + "')");
  if (s.type == "mlp") {
    pos(s.inputDim, "inputDim");
    for (auto h : s.hiddenSizes) pos(h, "hiddenSizes[]");
  } else if (s.type == "transformer" || s.type == "gpt") {
    pos(s.vocabSize, "vocabSize");
    pos(s.dModel, "dModel");
    pos(s.numHeads, "numHeads");
    pos(s.tokenLimit, "tokenLimit");
    if (s.numLayers < 0) invalidArg("model.numLayers must be >= 0");
    if (s.dModel % s.numHeads != 0)
      invalidArg("model.numHeads (" + std::to_string(s.numHeads) + ") must divide model.dModel (" +
                 std::to_string(s.dModel) + ")");
    if (s.attentionChunkSize < 0) invalidArg("model.attentionChunkSize must be >= 0");
    if (s.metaDim < 0) invalidArg("model.metaDim must be >= 0");
  } else if (s.type == "torchscript") {
    if (s.scriptPath.empty()) invalidArg("model.scriptPath is required for a torchscript model");
    if (s.input != "features" && s.input != "tokens") invalidArg("model.input must be 'features' or 'tokens'");
    if (s.loss != "auto" && s.loss != "model") invalidArg("model.loss must be 'auto' or 'model'");
  } else {
    invalidArg("model.type must be 'mlp', 'transformer', 'gpt' or 'torchscript' (got '" + s.type + "')");
  }
  if (s.type != "gpt") {
    if (s.task == "classification") pos(s.numClasses, "numClasses");
    else pos(s.outputDim, "outputDim");
  }
  if (!(s.dropout >= 0.0 && s.dropout < 1.0)) invalidArg("model.dropout must be in [0, 1)");
}

}  // namespace

std::shared_ptr<Model> buildModel(const ModelSpec& spec) {
  checkSpec(spec);
  if (spec.type == "mlp") return std::make_shared<MlpModel>(spec);
  if (spec.type == "transformer") return std::make_shared<TransformerModel>(spec);
  if (spec.type == "torchscript") return loadTorchScriptModel(spec);
  return std::make_shared<GptModel>(spec);
}

}  // namespace tn
