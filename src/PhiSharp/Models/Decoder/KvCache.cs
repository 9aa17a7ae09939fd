using System.Numerics.Tensors;

namespace PhiSharp.Models.Decoder;

/// <summary>
/// A sequence's cached keys and values, per layer and KV head, positions contiguous so that attention reads one
/// head's keys as a single run. Sized from the context length the session asked for. Stored as float16 (half the
/// memory: Phi-3-mini's 4k context takes 1.6 GB instead of 3.2 GB, llama.cpp's default too) or float32.
/// </summary>
internal sealed class KvCache
{
    readonly float[][] _keys = [], _values = [];   // float32: [layer][kvHead · context · headDim]
    readonly Half[][] _halfKeys = [], _halfValues = [];

    public int LayerCount { get; }
    public int ContextLength { get; }
    public int HeadDim { get; }
    public KvCacheType Type { get; }

    public KvCache(int layers, int kvHeads, int headDim, int contextLength, KvCacheType type)
    {
        LayerCount = layers;
        ContextLength = contextLength;
        HeadDim = headDim;
        Type = type;
        int count = checked(kvHeads * contextLength * headDim);
        if (type == KvCacheType.F16)
        {
            _halfKeys = Enumerable.Range(0, layers).Select(_ => new Half[count]).ToArray();
            _halfValues = Enumerable.Range(0, layers).Select(_ => new Half[count]).ToArray();
        }
        else
        {
            _keys = Enumerable.Range(0, layers).Select(_ => new float[count]).ToArray();
            _values = Enumerable.Range(0, layers).Select(_ => new float[count]).ToArray();
        }
    }

    /// <summary>Caches one position's key and value of one KV head.</summary>
    public void Store(int layer, int kvHead, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        int at = (kvHead * ContextLength + position) * HeadDim;
        if (Type == KvCacheType.F16)
        {
            TensorPrimitives.ConvertToHalf(key, _halfKeys[layer].AsSpan(at, HeadDim));
            TensorPrimitives.ConvertToHalf(value, _halfValues[layer].AsSpan(at, HeadDim));
        }
        else
        {
            key.CopyTo(_keys[layer].AsSpan(at, HeadDim));
            value.CopyTo(_values[layer].AsSpan(at, HeadDim));
        }
    }

    /// <summary>Every cached key of one KV head, position-major (float32 caches).</summary>
    public ReadOnlySpan<float> Keys(int layer, int kvHead) => _keys[layer].AsSpan(kvHead * ContextLength * HeadDim, ContextLength * HeadDim);

    public ReadOnlySpan<float> Values(int layer, int kvHead) => _values[layer].AsSpan(kvHead * ContextLength * HeadDim, ContextLength * HeadDim);

    /// <summary>Every cached key of one KV head, position-major (float16 caches).</summary>
    public ReadOnlySpan<Half> HalfKeys(int layer, int kvHead) => _halfKeys[layer].AsSpan(kvHead * ContextLength * HeadDim, ContextLength * HeadDim);

    public ReadOnlySpan<Half> HalfValues(int layer, int kvHead) => _halfValues[layer].AsSpan(kvHead * ContextLength * HeadDim, ContextLength * HeadDim);
}
