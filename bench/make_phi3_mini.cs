#:project ../src/PhiSharp/PhiSharp.csproj
// Writes a Phi-3-mini-shaped GGUF (3.8B parameters: 32 layers, 3072 wide, 8192 feed-forward, 32064 vocabulary) with
// seeded random F16 weights and a synthetic SentencePiece vocabulary, for benchmarks: speed and memory depend on the
// shapes and types, and on the values only through the size of the quantized scales. The weights are uniform with
// variance 1/columns, the scale of a trained layer's, so a Q6_K block's scale (the largest weight / 4064) and an
// 8192-column Q4_K block's (its range / 945) fall below 2^−14, fp16's subnormals, as many do in trained models: a
// kernel that let those reach float arithmetic ran far slower (docs/PERFORMANCE.md, ninth session).
// Quantize it with tools/reference/llamacpp/quantize.py or `phi quantize`.
// Usage: dotnet run bench/make_phi3_mini.cs -- OUT.gguf
using System.Runtime.InteropServices;
using PhiSharp.Formats.Gguf;
using PhiSharp.Tensors;

const int Hidden = 3072, Layers = 32, Heads = 32, FeedForward = 8192, Vocab = 32064, Context = 4096;
string path = args.Length == 1 ? args[0] : throw new ArgumentException("usage: make_phi3_mini.cs OUT.gguf");

var tensors = new List<(string Name, long[] Dims, GgmlType Type)>
{
    ("token_embd.weight", [Hidden, Vocab], GgmlType.F16),
    ("output_norm.weight", [Hidden], GgmlType.F32),
    ("output.weight", [Hidden, Vocab], GgmlType.F16),
};
for (int i = 0; i < Layers; i++)
{
    tensors.Add(($"blk.{i}.attn_norm.weight", [Hidden], GgmlType.F32));
    tensors.Add(($"blk.{i}.attn_qkv.weight", [Hidden, 3 * Hidden], GgmlType.F16));
    tensors.Add(($"blk.{i}.attn_output.weight", [Hidden, Hidden], GgmlType.F16));
    tensors.Add(($"blk.{i}.ffn_norm.weight", [Hidden], GgmlType.F32));
    tensors.Add(($"blk.{i}.ffn_up.weight", [Hidden, 2 * FeedForward], GgmlType.F16));
    tensors.Add(($"blk.{i}.ffn_down.weight", [FeedForward, Hidden], GgmlType.F16));
}

using var w = new GgufWriter(path);
w.AddMetadata("general.architecture", "phi3");
// Not "phi3" in the name: llama.cpp then sets attributes on Phi-3 special tokens this synthetic vocabulary lacks.
w.AddMetadata("general.name", "mini-shaped random weights");
w.AddMetadata("phi3.context_length", (uint)Context);
w.AddMetadata("phi3.embedding_length", (uint)Hidden);
w.AddMetadata("phi3.feed_forward_length", (uint)FeedForward);
w.AddMetadata("phi3.block_count", (uint)Layers);
w.AddMetadata("phi3.attention.head_count", (uint)Heads);
w.AddMetadata("phi3.attention.head_count_kv", (uint)Heads);
w.AddMetadata("phi3.attention.layer_norm_rms_epsilon", 1e-5f);
w.AddMetadata("phi3.rope.dimension_count", (uint)(Hidden / Heads));
w.AddMetadata("phi3.rope.freq_base", 10000f);
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

foreach (var (name, dims, type) in tensors) w.AddTensor(name, type, dims);
int seed = 0;
foreach (var (name, dims, type) in tensors)
{
    seed++;
    if (type == GgmlType.F32)
    {
        var ones = Enumerable.Repeat(1f, (int)dims[0]).ToArray();
        w.WriteTensorData(name, MemoryMarshal.AsBytes(ones.AsSpan()));
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
