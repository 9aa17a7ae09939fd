using System.Numerics.Tensors;
using PhiSharp.Compute;
using PhiSharp.Formats;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Bert;

/// <summary>
/// A BERT-family sentence encoder (GGUF arch "bert" or "nomic-bert"): token ids in, one pooled vector out. The
/// network (<see cref="BertNetwork"/>) runs on the shared decoder skeleton with float32 keys and values, as
/// transformers computes; pooling (CLS or mean) is as the model says, and the vector returned is not normalised
/// (see <see cref="BertEmbeddingGenerator"/>).
/// </summary>
public sealed class BertModel : IDisposable
{
    readonly DecoderModel _model;

    public BertConfig Config { get; }

    /// <param name="source">The tensors <paramref name="network"/> points into; owned by the model from here on.</param>
    internal BertModel(ITensorSource source, BertNetwork network, WorkerPool? pool = null, int threads = 0)
    {
        Config = network.Config;
        _model = new DecoderModel(source, network, pool, threads, KvCacheType.F32);
    }

    /// <summary>The pooled final hidden states of <paramref name="ids"/>, which should already hold [CLS] … [SEP].</summary>
    public float[] Encode(ReadOnlySpan<int> ids)
    {
        int n = ids.Length, hidden = Config.HiddenSize;
        if (n == 0) throw new ArgumentException("At least one token is needed.", nameof(ids));
        if (n > Config.MaxPositions) throw new ArgumentException($"{n} tokens exceed the model's {Config.MaxPositions} positions.", nameof(ids));
        foreach (int id in ids)
            if ((uint)id >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(ids), id, $"not an id of the {Config.VocabSize}-entry vocabulary");

        var states = new float[n * hidden];
        using (var session = _model.CreateDecoderSession(n))
            session.Append(new DecoderInput(ids), states, allPositions: true);
        if (Config.Pooling == EmbeddingPooling.Cls) return states.AsSpan(0, hidden).ToArray();
        var sum = new float[hidden];
        for (int t = 0; t < n; t++) TensorPrimitives.Add(sum, states.AsSpan(t * hidden, hidden), sum);
        TensorPrimitives.Multiply(sum, 1f / n, sum);
        return sum;
    }

    public void Dispose() => _model.Dispose();
}
