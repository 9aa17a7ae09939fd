#:project ../src/PhiSharp/PhiSharp.csproj
// Writes a Phi-3-vision-shaped Hugging Face folder (Phi3VForCausalLM, the shapes of microsoft/Phi-3-vision-128k-instruct:
// a Phi-3-mini decoder of 32 layers, 3072 wide, 8192 feed-forward, 32064 vocabulary, LongRoPE "su" scaling to 131072
// positions; the CLIP ViT-L/14-336 tower of 24 layers, 1024 wide, 4096 MLP, 577 positions; the 4096 → 3072 → 3072 MLP
// projector and the glb_GN / sub_GN separators; num_crops 16) with seeded random F16 weights, for benchmarks: speed and
// memory depend on the shapes and types, not on the values. The released checkpoint is BF16 (same bytes, another
// widening); its chat template and tokenizer merges are not reproduced (a synthetic SentencePiece vocabulary with
// Phi-3's special tokens stands in). Rope factors are 1.0: the values, not the shapes, of the released ones differ.
// About 8.3 GB in shards of at most 2 GB (one shard is held in memory while it is written).
// Usage: dotnet run bench/make_phi3_vision.cs -- OUT_FOLDER
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using PhiSharp.Formats.Safetensors;

const int Hidden = 3072, Layers = 32, Heads = 32, FeedForward = 8192, Vocab = 32064, BaseVocab = 32000;
const int ClipWidth = 1024, ClipLayers = 24, ClipMlp = 4096, ClipPositions = 24 * 24 + 1;
const long ShardBytes = 2L << 30;
string folder = args.Length == 1 ? args[0] : throw new ArgumentException("usage: make_phi3_vision.cs OUT_FOLDER");
Directory.CreateDirectory(folder);

// Tensors in PyTorch order ([rows, columns] for matrices), as the released checkpoint names them.
// Kind: 'm' matrix (uniform ±√(3/fan-in)), 'e' embedding-like (uniform ±0.3), '1' ones (norm weights), '0' zeros (biases).
var tensors = new List<(string Name, long[] Shape, char Kind)>
{
    ("model.embed_tokens.weight", [Vocab, Hidden], 'e'),
};
for (int i = 0; i < Layers; i++)
{
    string l = $"model.layers.{i}.";
    tensors.Add((l + "input_layernorm.weight", [Hidden], '1'));
    tensors.Add((l + "self_attn.qkv_proj.weight", [3 * Hidden, Hidden], 'm'));
    tensors.Add((l + "self_attn.o_proj.weight", [Hidden, Hidden], 'm'));
    tensors.Add((l + "post_attention_layernorm.weight", [Hidden], '1'));
    tensors.Add((l + "mlp.gate_up_proj.weight", [2 * FeedForward, Hidden], 'm'));
    tensors.Add((l + "mlp.down_proj.weight", [Hidden, FeedForward], 'm'));
}
tensors.Add(("model.norm.weight", [Hidden], '1'));
tensors.Add(("lm_head.weight", [Vocab, Hidden], 'm'));

const string v = "model.vision_embed_tokens.";
const string clip = v + "img_processor.vision_model.";
tensors.Add((clip + "embeddings.class_embedding", [ClipWidth], 'e'));
tensors.Add((clip + "embeddings.patch_embedding.weight", [ClipWidth, 3, 14, 14], 'm'));
tensors.Add((clip + "embeddings.position_embedding.weight", [ClipPositions, ClipWidth], 'e'));
tensors.Add((clip + "pre_layrnorm.weight", [ClipWidth], '1'));
tensors.Add((clip + "pre_layrnorm.bias", [ClipWidth], '0'));
for (int i = 0; i < ClipLayers; i++)
{
    string l = $"{clip}encoder.layers.{i}.";
    void Linear(string name, int inputs, int outputs)
    {
        tensors.Add((l + name + ".weight", [outputs, inputs], 'm'));
        tensors.Add((l + name + ".bias", [outputs], '0'));
    }
    tensors.Add((l + "layer_norm1.weight", [ClipWidth], '1'));
    tensors.Add((l + "layer_norm1.bias", [ClipWidth], '0'));
    foreach (string p in new[] { "q_proj", "k_proj", "v_proj", "out_proj" }) Linear("self_attn." + p, ClipWidth, ClipWidth);
    tensors.Add((l + "layer_norm2.weight", [ClipWidth], '1'));
    tensors.Add((l + "layer_norm2.bias", [ClipWidth], '0'));
    Linear("mlp.fc1", ClipWidth, ClipMlp);
    Linear("mlp.fc2", ClipMlp, ClipWidth);
}
tensors.Add((clip + "post_layernorm.weight", [ClipWidth], '1'));
tensors.Add((clip + "post_layernorm.bias", [ClipWidth], '0'));
tensors.Add((v + "glb_GN", [1, 1, 4 * ClipWidth], 'e'));
tensors.Add((v + "sub_GN", [1, 1, 1, 4 * ClipWidth], 'e'));
tensors.Add((v + "img_projection.0.weight", [Hidden, 4 * ClipWidth], 'm'));
tensors.Add((v + "img_projection.0.bias", [Hidden], '0'));
tensors.Add((v + "img_projection.2.weight", [Hidden, Hidden], 'm'));
tensors.Add((v + "img_projection.2.bias", [Hidden], '0'));

// Shards in order, each at most ShardBytes, generated, written and dropped one at a time.
var shards = new List<List<(string Name, long[] Shape, char Kind)>> { new() };
long filled = 0;
foreach (var t in tensors)
{
    long bytes = 2 * t.Shape.Aggregate(1L, (a, b) => a * b);
    if (filled + bytes > ShardBytes && shards[^1].Count > 0) { shards.Add([]); filled = 0; }
    shards[^1].Add(t);
    filled += bytes;
}
var weightMap = new Dictionary<string, string>();
int seed = 0;
for (int s = 0; s < shards.Count; s++)
{
    string file = $"model-{s + 1:D5}-of-{shards.Count:D5}.safetensors";
    var data = shards[s].Select(t => new SafetensorsTensorData(t.Name, SafetensorsDType.F16, t.Shape, Fill(t.Shape, t.Kind, ++seed))).ToList();
    SafetensorsWriter.Write(Path.Combine(folder, file), data, new Dictionary<string, string> { ["format"] = "pt" });
    foreach (var t in shards[s]) weightMap[t.Name] = file;
    Console.WriteLine($"wrote {file}: {new FileInfo(Path.Combine(folder, file)).Length / 1e9:F2} GB");
}
SafetensorsWriter.WriteIndex(Path.Combine(folder, "model.safetensors.index.json"), weightMap);

var factors = new JsonArray(Enumerable.Repeat(1.0, Hidden / Heads / 2).Select(f => (JsonNode)f).ToArray());
var config = new JsonObject
{
    ["architectures"] = new JsonArray("Phi3VForCausalLM"),
    ["model_type"] = "phi3_v",
    ["vocab_size"] = Vocab, ["hidden_size"] = Hidden, ["intermediate_size"] = FeedForward,
    ["num_hidden_layers"] = Layers, ["num_attention_heads"] = Heads, ["num_key_value_heads"] = Heads,
    ["max_position_embeddings"] = 131072, ["original_max_position_embeddings"] = 4096,
    ["rms_norm_eps"] = 1e-5, ["rope_theta"] = 10000.0, ["sliding_window"] = 131072, ["hidden_act"] = "silu",
    ["rope_scaling"] = new JsonObject { ["type"] = "su", ["short_factor"] = factors.DeepClone(), ["long_factor"] = factors.DeepClone() },
    ["bos_token_id"] = 1, ["eos_token_id"] = 2, ["pad_token_id"] = 0, ["tie_word_embeddings"] = false, ["torch_dtype"] = "float16",
    ["embd_layer"] = new JsonObject
    {
        ["embedding_cls"] = "image", ["hd_transform_order"] = "sub_glb", ["projection_cls"] = "mlp",
        ["use_hd_transform"] = true, ["with_learnable_separator"] = true,
    },
    ["img_processor"] = new JsonObject
    {
        ["image_dim_out"] = ClipWidth, ["model_name"] = "openai/clip-vit-large-patch14-336", ["name"] = "clip_vision_model", ["num_img_tokens"] = 144,
    },
};
var indented = new JsonSerializerOptions { WriteIndented = true };
File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString(indented));
File.WriteAllText(Path.Combine(folder, "preprocessor_config.json"), new JsonObject
{
    ["image_processor_type"] = "Phi3VImageProcessor", ["processor_class"] = "Phi3VProcessor", ["num_crops"] = 16, ["num_img_tokens"] = 144,
    ["image_mean"] = new JsonArray(0.48145466, 0.4578275, 0.40821073), ["image_std"] = new JsonArray(0.26862954, 0.26130258, 0.27577711),
}.ToJsonString(indented));
File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), new JsonObject
{
    ["add_bos_token"] = true, ["add_eos_token"] = false, ["bos_token"] = "<s>", ["eos_token"] = "<|end|>", ["unk_token"] = "<unk>",
    ["pad_token"] = "<|endoftext|>", ["model_max_length"] = 131072,
}.ToJsonString(indented));
WriteTokenizer(Path.Combine(folder, "tokenizer.json"));
Console.WriteLine($"wrote {folder}");

// Seeded xorshift values rounded to F16 (the generator of bench/make_phi3_mini.cs), one row per task.
static byte[] Fill(long[] shape, char kind, int seed)
{
    long count = shape.Aggregate(1L, (a, b) => a * b);
    var bytes = new byte[2 * count];
    var values = MemoryMarshal.Cast<byte, Half>(bytes.AsSpan());
    if (kind is '0' or '1')
    {
        values.Fill((Half)(kind - '0'));
        return bytes;
    }
    int cols = (int)shape[^1], rows = (int)(count / cols);
    float scale = kind == 'm' ? MathF.Sqrt(3f / (count / shape[0])) : 0.3f;
    Parallel.For(0, rows, r =>
    {
        ulong s = (ulong)(seed * 1_000_003 + r) * 0x9E3779B97F4A7C15UL | 1;
        var row = MemoryMarshal.Cast<byte, Half>(bytes.AsSpan(2 * r * cols, 2 * cols));
        for (int c = 0; c < cols; c++)
        {
            s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
            row[c] = (Half)(scale * (((s * 0x2545F4914F6CDD1DUL) >> 40) / (float)(1 << 23) - 1f));
        }
    });
    return bytes;
}

// A SentencePiece-style BPE tokenizer.json without merges: <unk>, <s>, </s>, the 256 byte tokens, "▁w0"… to 32000,
// then Phi-3's added tokens at their ids (32000 <|endoftext|>, 32001 <|assistant|>, 32006 <|system|>, 32007 <|end|>,
// 32010 <|user|>) and placeholders for the rest of the 32064.
static void WriteTokenizer(string path)
{
    var names = new List<string> { "<unk>", "<s>", "</s>" };
    names.AddRange(Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"));
    names.AddRange(Enumerable.Range(0, BaseVocab - names.Count).Select(i => $"\u2581w{i}"));
    var special = new Dictionary<int, string> { [32000] = "<|endoftext|>", [32001] = "<|assistant|>", [32006] = "<|system|>", [32007] = "<|end|>", [32010] = "<|user|>" };
    for (int id = BaseVocab; id < Vocab; id++) names.Add(special.GetValueOrDefault(id, $"<|placeholder{id - BaseVocab}|>"));
    var vocab = new JsonObject();
    for (int i = 0; i < names.Count; i++) vocab[names[i]] = i;
    JsonObject Added(int id) => new()
    {
        ["id"] = id, ["content"] = names[id], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = id >= BaseVocab,
        ["normalized"] = false, ["special"] = true,
    };
    var tokenizer = new JsonObject
    {
        ["version"] = "1.0", ["truncation"] = null, ["padding"] = null,
        ["added_tokens"] = new JsonArray(new[] { 0, 1, 2 }.Concat(Enumerable.Range(BaseVocab, Vocab - BaseVocab)).Select(id => (JsonNode)Added(id)).ToArray()),
        ["normalizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["normalizers"] = new JsonArray(
                new JsonObject { ["type"] = "Prepend", ["prepend"] = "\u2581" },
                new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "\u2581" }),
        },
        ["pre_tokenizer"] = null,
        ["post_processor"] = null,
        ["decoder"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["decoders"] = new JsonArray(
                new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "\u2581" }, ["content"] = " " },
                new JsonObject { ["type"] = "ByteFallback" }, new JsonObject { ["type"] = "Fuse" },
                new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
        },
        ["model"] = new JsonObject
        {
            ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = "<unk>", ["continuing_subword_prefix"] = null,
            ["end_of_word_suffix"] = null, ["fuse_unk"] = true, ["byte_fallback"] = true, ["vocab"] = vocab, ["merges"] = new JsonArray(),
        },
    };
    File.WriteAllText(path, tokenizer.ToJsonString());
}
