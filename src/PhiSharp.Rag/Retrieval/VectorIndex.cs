using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Retrieval;

/// <summary>
/// Exact (brute-force) cosine search over all stored vectors, held in one contiguous array: at the scale of a
/// personal document folder (10⁵ chunks × 384 dims = 38 MB float, 10 MB int8) a SIMD scan takes milliseconds
/// and needs no approximate index to build or keep in step.
/// </summary>
public sealed class VectorIndex
{
    readonly long[] _ids;
    readonly float[]? _floats;
    readonly sbyte[]? _bytes;
    readonly float[]? _scales;
    public int Dimensions { get; }
    public VectorEncoding Encoding { get; }
    public int Count => _ids.Length;

    VectorIndex(long[] ids, int dims, VectorEncoding encoding, float[]? floats, sbyte[]? bytes, float[]? scales)
    {
        (_ids, Dimensions, Encoding, _floats, _bytes, _scales) = (ids, dims, encoding, floats, bytes, scales);
    }

    public static VectorIndex Load(SqliteRagStore store)
    {
        var rows = store.Vectors().ToList();
        if (rows.Count == 0) return new VectorIndex([], 0, VectorEncoding.Float32, [], null, null);
        var encoding = VectorCodec.EncodingOf(rows[0].Vector);
        int dims = VectorCodec.Dimensions(rows[0].Vector);
        foreach (var (id, blob) in rows)
            if (VectorCodec.EncodingOf(blob) != encoding || VectorCodec.Dimensions(blob) != dims)
                throw new RagStoreException($"chunk {id} has a {VectorCodec.EncodingOf(blob)} vector of {VectorCodec.Dimensions(blob)} dimensions " +
                    $"but others are {encoding} × {dims}: the documents were embedded with different settings; re-ingest them with one");

        var ids = rows.Select(r => r.ChunkId).ToArray();
        if (encoding == VectorEncoding.Float32)
        {
            var floats = new float[rows.Count * dims];
            for (int r = 0; r < rows.Count; r++) VectorCodec.Floats(rows[r].Vector).CopyTo(floats.AsSpan(r * dims, dims));
            return new VectorIndex(ids, dims, encoding, floats, null, null);
        }
        var bytes = new sbyte[rows.Count * dims];
        var scales = new float[rows.Count];
        for (int r = 0; r < rows.Count; r++)
        {
            scales[r] = VectorCodec.Int8Scale(rows[r].Vector);
            VectorCodec.Int8Values(rows[r].Vector).CopyTo(bytes.AsSpan(r * dims, dims));
        }
        return new VectorIndex(ids, dims, encoding, null, bytes, scales);
    }

    /// <summary>The <paramref name="top"/> chunk ids by cosine similarity to <paramref name="query"/>, best first.</summary>
    public IReadOnlyList<(long ChunkId, float Score)> Search(ReadOnlySpan<float> query, int top)
    {
        if (Count == 0 || top <= 0) return [];
        if (query.Length != Dimensions)
            throw new ArgumentException($"the query embedding has {query.Length} dimensions but the stored vectors have {Dimensions}: use the embedding model the documents were ingested with");
        var unit = VectorCodec.Normalize(query);

        // Keeps the best `top` in a min-heap: O(n log top) with no full sort.
        var best = new PriorityQueue<(long, float), float>(top + 1);
        if (Encoding == VectorEncoding.Float32)
        {
            for (int r = 0; r < Count; r++) Offer(best, top, _ids[r], VectorMath.Dot(unit, _floats.AsSpan(r * Dimensions, Dimensions)));
        }
        else
        {
            var q = new sbyte[Dimensions];
            float qScale = VectorCodec.Quantize(unit, q);
            for (int r = 0; r < Count; r++)
                Offer(best, top, _ids[r], VectorMath.Dot(q, _bytes.AsSpan(r * Dimensions, Dimensions)) * qScale * _scales![r]);
        }
        var result = new (long, float)[best.Count];
        for (int i = result.Length - 1; i >= 0; i--) result[i] = best.Dequeue();
        return result;
    }

    static void Offer(PriorityQueue<(long, float), float> best, int top, long id, float score)
    {
        if (best.Count < top) best.Enqueue((id, score), score);
        else if (score > best.Peek().Item2) best.DequeueEnqueue((id, score), score);
    }
}
