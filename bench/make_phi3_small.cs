#:project ../src/PhiSharp/PhiSharp.csproj
// Writes a Phi-3-small-shaped GGUF (PhiSharp's phi3small architecture, docs/PHI3SMALL_GGUF.md: 7.4B parameters,
// 32 layers, 4096 wide, 32 query and 8 KV heads of 128, 14336 feed-forward, 100352 vocabulary, every 2nd layer dense,
// block-sparse blocks of 64 with 16 local blocks and vertical stride 8) with seeded random F16 weights, unit norms,
// zero biases and a synthetic SentencePiece vocabulary, for benchmarks: speed and memory depend on the shapes and
// types, not on the values. Quantize it with `phi quantize`.
// Usage: dotnet run bench/make_phi3_small.cs -- OUT.gguf
using System.Runtime.InteropServices;
using PhiSharp.Formats.Gguf;
using PhiSharp.Tensors;

const int Hidden = 4096, Layers = 32, Heads = 32, KvHeads = 8, FeedForward = 14336, Vocab = 100352, Context = 8192;
const int HeadDim = Hidden / Heads, Qkv = (Heads + 2 * KvHeads) * HeadDim;
string path = args.Length == 1 ? args[0] : throw new ArgumentException("usage: make_phi3_small.cs OUT.gguf");

var tensors = new List<(string Name, long[] Dims, GgmlType Type, float Fill)>
{
    ("token_embd.weight", [Hidden, Vocab], GgmlType.F16, 0),
    ("output_norm.weight", [Hidden], GgmlType.F32, 1),
    ("output_norm.bias", [Hidden], GgmlType.F32, 0),
};
for (int i = 0; i < Layers; i++)
{
    void Linear(string name, int inputs, int outputs)
    {
        tensors.Add(($"blk.{i}.{name}.weight", [inputs, outputs], GgmlType.F16, 0));
        tensors.Add(($"blk.{i}.{name}.bias", [outputs], GgmlType.F32, 0));
    }
    void Norm(string name)
    {
        tensors.Add(($"blk.{i}.{name}.weight", [Hidden], GgmlType.F32, 1));
        tensors.Add(($"blk.{i}.{name}.bias", [Hidden], GgmlType.F32, 0));
    }
    Norm("attn_norm");
    Linear("attn_qkv", Hidden, Qkv);
    Linear("attn_output", Hidden, Hidden);
    Norm("ffn_norm");
    Linear("ffn_up", Hidden, 2 * FeedForward);
    Linear("ffn_down", FeedForward, Hidden);
}

using var w = new GgufWriter(path);
const string a = "phi3small.";
w.AddMetadata("general.architecture", "phi3small");
w.AddMetadata("general.name", "small-shaped random weights");
w.AddMetadata(a + "context_length", (uint)Context);
w.AddMetadata(a + "embedding_length", (uint)Hidden);
w.AddMetadata(a + "feed_forward_length", (uint)FeedForward);
w.AddMetadata(a + "block_count", (uint)Layers);
w.AddMetadata(a + "attention.head_count", (uint)Heads);
w.AddMetadata(a + "attention.head_count_kv", (uint)KvHeads);
w.AddMetadata(a + "attention.layer_norm_epsilon", 1e-5f);
w.AddMetadata(a + "rope.freq_base", 1e6f);
w.AddMetadata(a + "rope.position_scale", 1f);
w.AddMetadata(a + "gegelu_limit", 20f);
w.AddMetadata(a + "attention.dense_every_n_layers", 2u);
w.AddMetadata(a + "attention.block_sparse.block_size", 64u);
w.AddMetadata(a + "attention.block_sparse.local_blocks", 16u);
w.AddMetadata(a + "attention.block_sparse.vertical_stride", 8u);
w.AddMetadata(a + "attention.block_sparse.same_pattern_for_all_heads", false);
w.AddMetadata(a + "mup.embedding_multiplier", 10f);
w.AddMetadata(a + "mup.width_multiplier", 8f);
w.AddMetadata(a + "mup.attention_multiplier", 1f);
w.AddMetadata(a + "mup.use_scaling", true);
w.AddArray<int>(a + "dummy_token_ids", Enumerable.Range(100276, Vocab - 100276).ToArray());
w.AddMetadata("tokenizer.ggml.model", "llama");
var tokens = new List<string> { "<unk>", "<s>", "</s>" };
tokens.AddRange(Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"));
tokens.AddRange(Enumerable.Range(0, Vocab - tokens.Count).Select(i => $"\u2581w{i}"));
w.AddArray("tokenizer.ggml.tokens", tokens);
w.AddArray<float>("tokenizer.ggml.scores", tokens.Select((_, i) => i < 259 ? 0f : -(float)i).ToArray());
w.AddArray<int>("tokenizer.ggml.token_type", tokens.Select((_, i) => i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1).ToArray());
w.AddMetadata("tokenizer.ggml.bos_token_id", 1u);
w.AddMetadata("tokenizer.ggml.eos_token_id", 2u);
w.AddMetadata("tokenizer.ggml.unknown_token_id", 0u);

foreach (var (name, dims, type, _) in tensors) w.AddTensor(name, type, dims);
int seed = 0;
foreach (var (name, dims, type, fill) in tensors)
{
    seed++;
    if (type == GgmlType.F32)
    {
        var values = Enumerable.Repeat(fill, (int)dims[0]).ToArray();
        w.WriteTensorData(name, MemoryMarshal.AsBytes(values.AsSpan()));
        continue;
    }
    int cols = (int)dims[0], rows = (int)dims[1];
    float scale = MathF.Sqrt(3f / cols);
    var data = new Half[(long)cols * rows];
    Parallel.For(0, rows, r =>
    {
        ulong s = (ulong)(seed * 1_000_003 + r) * 0x9E3779B97F4A7C15UL | 1;
        var row = data.AsSpan(r * cols, cols);
        for (int c = 0; c < cols; c++)
        {
            s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
            row[c] = (Half)(scale * (((s * 0x2545F4914F6CDD1DUL) >> 40) / (float)(1 << 23) - 1f));
        }
    });
    w.WriteTensorData(name, MemoryMarshal.AsBytes(data.AsSpan()));
}
w.Finish();
Console.WriteLine($"wrote {path}: {new FileInfo(path).Length / 1e9:F2} GB");
