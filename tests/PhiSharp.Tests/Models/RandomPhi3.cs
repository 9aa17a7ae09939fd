using System.Runtime.InteropServices;
using PhiSharp.Formats;
using PhiSharp.Models.Decoder;
using PhiSharp.Models.Phi3;
using PhiSharp.Tensors;

namespace PhiSharp.Tests.Models;

/// <summary>An in-memory F32 tensor source with seeded random Phi-3 weights, for invariant tests that need no file.</summary>
sealed unsafe class InMemoryTensorSource : ITensorSource
{
    readonly Dictionary<string, (long[] Dims, nint Data, long Bytes)> _tensors = new();

    public string Path => "memory";
    public IReadOnlyCollection<string> TensorNames => _tensors.Keys;

    public void Add(string name, float[] values, params long[] dims)
    {
        nint p = (nint)NativeMemory.AlignedAlloc((nuint)(values.Length * 4), 64);
        values.CopyTo(new Span<float>((void*)p, values.Length));
        _tensors[name] = (dims, p, values.Length * 4L);
    }

    public bool TryGetTensor(string name, out WeightTensor tensor)
    {
        if (_tensors.TryGetValue(name, out var t))
        {
            tensor = new WeightTensor(name, GgmlType.F32, t.Dims, (byte*)t.Data, t.Bytes);
            return true;
        }
        tensor = default;
        return false;
    }

    public void Dispose()
    {
        foreach (var t in _tensors.Values) NativeMemory.AlignedFree((void*)t.Data);
        _tensors.Clear();
    }
}

static class RandomPhi3
{
    public static Phi3Config Config(LongRopeScaling? longRope = null, int? slidingWindow = null) => new()
    {
        HiddenSize = 64, IntermediateSize = 96, LayerCount = 2, HeadCount = 4, KeyValueHeadCount = 2,
        VocabSize = 50, RmsNormEpsilon = 1e-5f, RopeTheta = 10000f, MaxPositions = 4096, RotaryDim = 12,
        SlidingWindow = slidingWindow, LongRope = longRope,
    };

    public static DecoderModel Create(Phi3Config c, int threads = 2, int seed = 1)
    {
        var random = new Random(seed);
        float[] Values(int n, float scale, float offset = 0) =>
            Enumerable.Range(0, n).Select(_ => offset + scale * (float)(random.NextDouble() * 2 - 1)).ToArray();
        var names = Phi3TensorNames.Gguf;
        var source = new InMemoryTensorSource();
        source.Add(names.Embedding, Values(c.VocabSize * c.HiddenSize, 1f), c.HiddenSize, c.VocabSize);
        source.Add(names.OutputNorm, Values(c.HiddenSize, 0.2f, 1f), c.HiddenSize);
        source.Add(names.Output, Values(c.VocabSize * c.HiddenSize, 0.2f), c.HiddenSize, c.VocabSize);
        for (int i = 0; i < c.LayerCount; i++)
        {
            string N(string f) => string.Format(f, i);
            int ff = c.IntermediateSize, h = c.HiddenSize;
            source.Add(N(names.AttentionNorm), Values(h, 0.2f, 1f), h);
            source.Add(N(names.Qkv), Values(c.QkvDim * h, 0.3f), h, c.QkvDim);
            source.Add(N(names.AttentionOutput), Values(h * h, 0.2f), h, h);
            source.Add(N(names.FeedForwardNorm), Values(h, 0.2f, 1f), h);
            source.Add(N(names.GateUp), Values(2 * ff * h, 0.2f), h, 2 * ff);
            source.Add(N(names.Down), Values(h * ff, 0.2f), ff, h);
        }
        return new DecoderModel(source, new Phi3Network(source, c, names), threads: threads);
    }
}
