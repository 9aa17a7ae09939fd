using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PhiSharp.Kernels;

/// <summary>
/// Which cached keys a query sees: a run [FirstKey, LastKey] of positions, in which block-sparse attention also
/// hides some keys. Per query head, because block-sparse patterns differ between heads.
/// </summary>
internal interface IKeyVisibility
{
    int FirstKey(int head, int query);

    /// <summary>The last key seen, when positions [0, cached) are in the cache.</summary>
    int LastKey(int head, int query, int cached);

    /// <summary>True when <see cref="HideKeys"/> hides keys inside the run.</summary>
    bool HidesKeysInRange { get; }

    /// <summary>Sets to −∞ the scores of the keys in the run that the query does not see; scores[i] is key first + i.
    /// The query's own key is always seen, so the softmax stays defined.</summary>
    void HideKeys(int head, int query, int first, Span<float> scores);
}

/// <summary>Scaled dot-product attention for one query head over a contiguous run of cached keys and values.</summary>
internal static class Attention
{
    /// <param name="query">The query head, already rotated.</param>
    /// <param name="keys">Cached keys of this head's KV group, one row of <c>headDim</c> per position.</param>
    /// <param name="values">Cached values, laid out like <paramref name="keys"/>.</param>
    /// <param name="first">First visible position (later than 0 under a sliding window).</param>
    /// <param name="last">Last visible position, inclusive (the query's own position when causal).</param>
    /// <param name="scores">Scratch of at least last - first + 1 floats.</param>
    /// <param name="output">The attended head, <c>headDim</c> floats.</param>
    /// <param name="mask">Hides keys between first and last (block-sparse attention); null when all are seen.</param>
    /// <param name="head">The query head, for <paramref name="mask"/>.</param>
    /// <param name="queryPosition">The query's position, for <paramref name="mask"/>.</param>
    public static void Head(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int first, int last, float scale, Span<float> scores, Span<float> output, IKeyVisibility? mask = null, int head = 0,
        int queryPosition = 0)
    {
        int headDim = query.Length;
        int count = last - first + 1;
        var s = scores[..count];
        Scores(query, keys.Slice(first * headDim, count * headDim), scale, s);
        mask?.HideKeys(head, queryPosition, first, s);
        Activations.SoftmaxInPlace(s);
        output.Clear();
        AddWeightedSum(s, values.Slice(first * headDim, count * headDim), output);
    }

    /// <summary>
    /// The heads of consecutive tokens that share one KV head, over a float16 cache: token b's query is at
    /// queries[b · queryStride], it sits at position + b and sees the keys <paramref name="visibility"/> gives it among
    /// the position + tokens cached. Keys and values are widened a tile of <see cref="TileLength"/> positions at a time
    /// into <paramref name="tile"/> (TileLength · headDim floats), once for all the tokens, so a prompt does not widen
    /// the cache once per query. <paramref name="scores"/> holds a row of scoresStride floats per token.
    /// </summary>
    public static void Heads(ReadOnlySpan<float> queries, int queryStride, int tokens, int position, IKeyVisibility visibility,
        int head, int headDim, ReadOnlySpan<Half> keys, ReadOnlySpan<Half> values, float scale, Span<float> scores, int scoresStride,
        Span<float> tile, Span<float> outputs, int outputStride)
    {
        int cached = position + tokens, start = int.MaxValue, end = 0;
        for (int b = 0; b < tokens; b++)
        {
            start = Math.Min(start, visibility.FirstKey(head, position + b));
            end = Math.Max(end, visibility.LastKey(head, position + b, cached) + 1);
        }
        for (int p0 = start; p0 < end; p0 += TileLength)
        {
            int n = Math.Min(TileLength, end - p0);
            var k = tile[..(n * headDim)];
            FloatConversion.HalfToSingle(keys.Slice(p0 * headDim, n * headDim), k);
            for (int b = 0; b < tokens; b++)
                if (Overlap(visibility, head, position + b, cached, p0, n, out int first, out int lo, out int count))
                    Scores(queries.Slice(b * queryStride, headDim), k.Slice((lo - p0) * headDim, count * headDim), scale,
                        scores.Slice(b * scoresStride + lo - first, count));
        }
        for (int b = 0; b < tokens; b++)
        {
            int query = position + b, first = visibility.FirstKey(head, query);
            var row = scores.Slice(b * scoresStride, visibility.LastKey(head, query, cached) - first + 1);
            if (visibility.HidesKeysInRange) visibility.HideKeys(head, query, first, row);
            Activations.SoftmaxInPlace(row);
            outputs.Slice(b * outputStride, headDim).Clear();
        }
        for (int p0 = start; p0 < end; p0 += TileLength)
        {
            int n = Math.Min(TileLength, end - p0);
            var v = tile[..(n * headDim)];
            FloatConversion.HalfToSingle(values.Slice(p0 * headDim, n * headDim), v);
            for (int b = 0; b < tokens; b++)
                if (Overlap(visibility, head, position + b, cached, p0, n, out int first, out int lo, out int count))
                    AddWeightedSum(scores.Slice(b * scoresStride + lo - first, count), v.Slice((lo - p0) * headDim, count * headDim),
                        outputs.Slice(b * outputStride, headDim));
        }
    }

    /// <summary>The positions of tile [p0, p0 + n) that the query at <paramref name="query"/> sees: [lo, lo + count).</summary>
    static bool Overlap(IKeyVisibility visibility, int head, int query, int cached, int p0, int n, out int first, out int lo, out int count)
    {
        first = visibility.FirstKey(head, query);
        lo = Math.Max(first, p0);
        count = Math.Min(visibility.LastKey(head, query, cached), p0 + n - 1) - lo + 1;
        return count > 0;
    }

    /// <summary>Positions widened at a time from a float16 cache: 64 × 128 floats, 32 KiB, stays in the L1/L2 cache.</summary>
    public const int TileLength = 64;

    /// <summary>s[p] = scale · q · k[p].</summary>
    static void Scores(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, float scale, Span<float> s)
    {
        int headDim = query.Length;
        // Heads are short (64–128 floats): per-position library calls would cost more than the arithmetic.
        if (Avx.IsSupported && Vector256.IsHardwareAccelerated && headDim % Vector256<float>.Count == 0) Scores256(query, keys, scale, s);
        else if (Vector128.IsHardwareAccelerated && headDim % Vector128<float>.Count == 0) Scores128(query, keys, scale, s); // ARM64
        else
            for (int p = 0; p < s.Length; p++)
                s[p] = TensorPrimitives.Dot(query, keys.Slice(p * headDim, headDim)) * scale;
    }

    /// <summary>output += Σ_p s[p]·v[p].</summary>
    static void AddWeightedSum(ReadOnlySpan<float> s, ReadOnlySpan<float> values, Span<float> output)
    {
        int headDim = output.Length;
        if (Vector256.IsHardwareAccelerated && headDim % Vector256<float>.Count == 0) WeightedSum256(s, values, output);
        else if (Vector128.IsHardwareAccelerated && headDim % 16 == 0) WeightedSum128(s, values, output); // ARM64
        else
            for (int p = 0; p < s.Length; p++)
                TensorPrimitives.MultiplyAdd(values.Slice(p * headDim, headDim), s[p], output, output);
    }

    /// <summary>
    /// s[p] = scale · q · k[p], eight keys at a time so that each load of q serves eight products, and the eight
    /// keys' lane sums are reduced together (<see cref="Sums"/>: 6 horizontal adds, 2 lane swaps and an add, against 8
    /// separate horizontal sums). A key's lanes are added in the same order whether it falls in a group of eight or
    /// after the last one (<see cref="Sum"/>), so its score does not depend on where its run starts.
    /// </summary>
    static void Scores256(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, float scale, Span<float> s)
    {
        int headDim = query.Length, count = s.Length, p = 0;
        ref float q = ref MemoryMarshal.GetReference(query);
        ref float k = ref MemoryMarshal.GetReference(keys);
        ref float scores = ref MemoryMarshal.GetReference(s);
        for (; p + 8 <= count; p += 8)
        {
            ref float k0 = ref Unsafe.Add(ref k, p * headDim);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (int i = 0; i < headDim; i += Vector256<float>.Count)
            {
                var x = Vector256.LoadUnsafe(ref q, (nuint)i);
                a0 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref k0, (nuint)i), a0);
                a1 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref k0, (nuint)(i + headDim)), a1);
                a2 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref k0, (nuint)(i + 2 * headDim)), a2);
                a3 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref k0, (nuint)(i + 3 * headDim)), a3);
                a4 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref k0, (nuint)(i + 4 * headDim)), a4);
                a5 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref k0, (nuint)(i + 5 * headDim)), a5);
                a6 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref k0, (nuint)(i + 6 * headDim)), a6);
                a7 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref k0, (nuint)(i + 7 * headDim)), a7);
            }
            (Sums(a0, a1, a2, a3, a4, a5, a6, a7) * scale).StoreUnsafe(ref scores, (nuint)p);
        }
        for (; p < count; p++)
        {
            ref float kp = ref Unsafe.Add(ref k, p * headDim);
            var a = Vector256<float>.Zero;
            for (int i = 0; i < headDim; i += Vector256<float>.Count)
                a = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, (nuint)i), Vector256.LoadUnsafe(ref kp, (nuint)i), a);
            s[p] = Sum(a) * scale;
        }
    }

    /// <summary>The lane sums of eight vectors, each ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Sums(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        Vector256<float> a4, Vector256<float> a5, Vector256<float> a6, Vector256<float> a7)
    {
        // Horizontal adds work within each 128-bit half: [a0's pair sums, a1's], then the half sums of a0..a3, lanes
        // 0–3 from their low halves and 4–7 from their high ones. Swapping halves lines up each key's two half sums.
        var first = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3));
        var last = Avx.HorizontalAdd(Avx.HorizontalAdd(a4, a5), Avx.HorizontalAdd(a6, a7));
        return Avx.Permute2x128(first, last, 0x20) + Avx.Permute2x128(first, last, 0x31);
    }

    /// <summary>One vector's lane sum, in <see cref="Sums"/>' order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Sum(Vector256<float> a)
    {
        var pairs = Avx.HorizontalAdd(a, a);
        var halves = Avx.HorizontalAdd(pairs, pairs);
        return halves.ToScalar() + halves.GetElement(4);
    }

    /// <summary>output += Σ_p s[p]·v[p], a 32-float slice of the head at a time held in four registers across all
    /// positions (each position's slice is one cache line's worth); heads not a multiple of 32 go 8 floats at a time.</summary>
    static void WeightedSum256(ReadOnlySpan<float> s, ReadOnlySpan<float> values, Span<float> output)
    {
        int headDim = output.Length, count = s.Length;
        ref float v = ref MemoryMarshal.GetReference(values);
        ref float o = ref MemoryMarshal.GetReference(output);
        if (headDim % 32 == 0)
        {
            for (int i = 0; i < headDim; i += 32)
            {
                var a0 = Vector256.LoadUnsafe(ref o, (nuint)i);
                var a1 = Vector256.LoadUnsafe(ref o, (nuint)(i + 8));
                var a2 = Vector256.LoadUnsafe(ref o, (nuint)(i + 16));
                var a3 = Vector256.LoadUnsafe(ref o, (nuint)(i + 24));
                for (int p = 0; p < count; p++)
                {
                    var w = Vector256.Create(s[p]);
                    nuint at = (nuint)(p * headDim + i);
                    a0 = Vector256.FusedMultiplyAdd(w, Vector256.LoadUnsafe(ref v, at), a0);
                    a1 = Vector256.FusedMultiplyAdd(w, Vector256.LoadUnsafe(ref v, at + 8), a1);
                    a2 = Vector256.FusedMultiplyAdd(w, Vector256.LoadUnsafe(ref v, at + 16), a2);
                    a3 = Vector256.FusedMultiplyAdd(w, Vector256.LoadUnsafe(ref v, at + 24), a3);
                }
                a0.StoreUnsafe(ref o, (nuint)i);
                a1.StoreUnsafe(ref o, (nuint)(i + 8));
                a2.StoreUnsafe(ref o, (nuint)(i + 16));
                a3.StoreUnsafe(ref o, (nuint)(i + 24));
            }
            return;
        }
        for (int i = 0; i < headDim; i += Vector256<float>.Count)
        {
            Vector256<float> even = Vector256.LoadUnsafe(ref o, (nuint)i), odd = default;
            int p = 0;
            for (; p + 2 <= count; p += 2)
            {
                even = Vector256.FusedMultiplyAdd(Vector256.Create(s[p]), Vector256.LoadUnsafe(ref v, (nuint)(p * headDim + i)), even);
                odd = Vector256.FusedMultiplyAdd(Vector256.Create(s[p + 1]), Vector256.LoadUnsafe(ref v, (nuint)((p + 1) * headDim + i)), odd);
            }
            if (p < count) even = Vector256.FusedMultiplyAdd(Vector256.Create(s[p]), Vector256.LoadUnsafe(ref v, (nuint)(p * headDim + i)), even);
            (even + odd).StoreUnsafe(ref o, (nuint)i);
        }
    }

    /// <summary><see cref="Scores256"/> in 128-bit registers (ARM64's NEON, where Vector256 is not accelerated).</summary>
    static void Scores128(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, float scale, Span<float> s)
    {
        int headDim = query.Length, count = s.Length, p = 0;
        ref float q = ref MemoryMarshal.GetReference(query);
        ref float k = ref MemoryMarshal.GetReference(keys);
        for (; p + 4 <= count; p += 4)
        {
            ref float k0 = ref Unsafe.Add(ref k, p * headDim);
            Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i < headDim; i += Vector128<float>.Count)
            {
                var x = Vector128.LoadUnsafe(ref q, (nuint)i);
                a0 = Vector128.FusedMultiplyAdd(x, Vector128.LoadUnsafe(ref k0, (nuint)i), a0);
                a1 = Vector128.FusedMultiplyAdd(x, Vector128.LoadUnsafe(ref k0, (nuint)(i + headDim)), a1);
                a2 = Vector128.FusedMultiplyAdd(x, Vector128.LoadUnsafe(ref k0, (nuint)(i + 2 * headDim)), a2);
                a3 = Vector128.FusedMultiplyAdd(x, Vector128.LoadUnsafe(ref k0, (nuint)(i + 3 * headDim)), a3);
            }
            s[p] = Vector128.Sum(a0) * scale;
            s[p + 1] = Vector128.Sum(a1) * scale;
            s[p + 2] = Vector128.Sum(a2) * scale;
            s[p + 3] = Vector128.Sum(a3) * scale;
        }
        for (; p < count; p++)
        {
            ref float kp = ref Unsafe.Add(ref k, p * headDim);
            var a = Vector128<float>.Zero;
            for (int i = 0; i < headDim; i += Vector128<float>.Count)
                a = Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref q, (nuint)i), Vector128.LoadUnsafe(ref kp, (nuint)i), a);
            s[p] = Vector128.Sum(a) * scale;
        }
    }

    /// <summary><see cref="WeightedSum256"/> in 128-bit registers: a 16-float slice of the head (one 64-byte cache line)
    /// held in four registers across all positions.</summary>
    static void WeightedSum128(ReadOnlySpan<float> s, ReadOnlySpan<float> values, Span<float> output)
    {
        int headDim = output.Length, count = s.Length;
        ref float v = ref MemoryMarshal.GetReference(values);
        ref float o = ref MemoryMarshal.GetReference(output);
        for (int i = 0; i < headDim; i += 16)
        {
            var a0 = Vector128.LoadUnsafe(ref o, (nuint)i);
            var a1 = Vector128.LoadUnsafe(ref o, (nuint)(i + 4));
            var a2 = Vector128.LoadUnsafe(ref o, (nuint)(i + 8));
            var a3 = Vector128.LoadUnsafe(ref o, (nuint)(i + 12));
            for (int p = 0; p < count; p++)
            {
                var w = Vector128.Create(s[p]);
                nuint at = (nuint)(p * headDim + i);
                a0 = Vector128.FusedMultiplyAdd(w, Vector128.LoadUnsafe(ref v, at), a0);
                a1 = Vector128.FusedMultiplyAdd(w, Vector128.LoadUnsafe(ref v, at + 4), a1);
                a2 = Vector128.FusedMultiplyAdd(w, Vector128.LoadUnsafe(ref v, at + 8), a2);
                a3 = Vector128.FusedMultiplyAdd(w, Vector128.LoadUnsafe(ref v, at + 12), a3);
            }
            a0.StoreUnsafe(ref o, (nuint)i);
            a1.StoreUnsafe(ref o, (nuint)(i + 4));
            a2.StoreUnsafe(ref o, (nuint)(i + 8));
            a3.StoreUnsafe(ref o, (nuint)(i + 12));
        }
    }
}
