namespace PhiSharp.Models;

/// <summary>
/// A sequence's cached keys and values in float32, per layer and KV head, positions contiguous so that attention
/// reads one head's keys as a single run. Sized from the context length the session asked for.
/// </summary>
internal sealed class KvCache
{
    readonly float[][] _keys;   // [layer][kvHead · context · headDim]
    readonly float[][] _values;

    public int ContextLength { get; }
    public int HeadDim { get; }

    public KvCache(int layers, int kvHeads, int headDim, int contextLength)
    {
        ContextLength = contextLength;
        HeadDim = headDim;
        int floats = checked(kvHeads * contextLength * headDim);
        _keys = new float[layers][];
        _values = new float[layers][];
        for (int l = 0; l < layers; l++)
        {
            _keys[l] = new float[floats];
            _values[l] = new float[floats];
        }
    }

    public Span<float> Key(int layer, int kvHead, int position) =>
        _keys[layer].AsSpan((kvHead * ContextLength + position) * HeadDim, HeadDim);

    public Span<float> Value(int layer, int kvHead, int position) =>
        _values[layer].AsSpan((kvHead * ContextLength + position) * HeadDim, HeadDim);

    /// <summary>Every cached key of one KV head, position-major.</summary>
    public ReadOnlySpan<float> Keys(int layer, int kvHead) =>
        _keys[layer].AsSpan(kvHead * ContextLength * HeadDim, ContextLength * HeadDim);

    public ReadOnlySpan<float> Values(int layer, int kvHead) =>
        _values[layer].AsSpan(kvHead * ContextLength * HeadDim, ContextLength * HeadDim);
}
