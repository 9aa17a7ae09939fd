using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using PhiSharp.Tensors;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// The matmul layout of weights that live in memory of our own: rows interleaved eight at a time
/// (<see cref="Q4_0x8"/>, <see cref="Q8_0x8"/>, <see cref="Q4_Kx8"/>, <see cref="Q6_Kx8"/>), so that one integer
/// multiply-add works for 8 rows. Each group is a permutation of its 8 rows' bytes (Q8_0's codes also move to
/// unsigned), so the rewrite happens in place and slices of whole groups stay valid.
/// </summary>
internal static unsafe class InterleavedRows
{
    public const int Group = 8;

    public static bool Supports(GgmlType type, int rows, int columns) => rows % Group == 0 && type switch
    {
        GgmlType.Q4_0 or GgmlType.Q8_0 => columns % 32 == 0,
        GgmlType.Q4_K or GgmlType.Q6_K => columns % 256 == 0,
        _ => false,
    };

    /// <summary>The interleaved layout <paramref name="tier"/>'s kernels read: Q8_0's codes unsigned for x86-avxvnni
    /// (<see cref="Q8_0x8.UnsignedCodes{TTier}"/>), every other type and tier the codes as stored.</summary>
    public static WeightLayout LayoutFor(GgmlType type, SimdTier tier) =>
        type == GgmlType.Q8_0 && tier == SimdTier.AvxVnni ? WeightLayout.RowsInterleavedUnsigned : WeightLayout.RowsInterleaved;

    /// <summary>Rewrites a row-major matrix in place, groups in parallel (it runs once, at load); <see cref="Supports"/>
    /// must hold. Each type's Interleave is marked AggressiveOptimization: it runs once per group of every matrix, so
    /// tiered compilation left most of a load in unoptimized code, and loading Phi-3-mini took 1.0–3.3 s against
    /// 0.6–0.9 s optimized from the start (Q4_0 and Q4_K_M from the page cache, AMD Zen 5).</summary>
    public static void Interleave(GgmlType type, byte* data, int rows, int columns, WeightLayout layout)
    {
        long groupBytes = Group * GgmlTypeInfo.RowByteSize(type, columns);
        nint start = (nint)data;
        bool unsignedCodes = layout == WeightLayout.RowsInterleavedUnsigned;
        Parallel.For(0, rows / Group, () => new byte[groupBytes], (g, _, scratch) =>
        {
            byte* group = (byte*)start + g * groupBytes;
            switch (type)
            {
                case GgmlType.Q4_0: Q4_0x8.Interleave(group, columns / 32, scratch); break;
                case GgmlType.Q8_0: Q8_0x8.Interleave(group, columns / 32, scratch, unsignedCodes); break;
                case GgmlType.Q4_K: Q4_Kx8.Interleave(group, columns / 256, scratch); break;
                default: Q6_Kx8.Interleave(group, columns / 256, scratch); break;
            }
            return scratch;
        }, _ => { });
    }

    /// <summary>
    /// The generic driver of the interleaved kernels: y[t·yStride + r] = row r · token t for the rows of groups
    /// [start, end) of a matrix of <paramref name="type"/> at <paramref name="data"/> (groups <paramref name="groupBytes"/>
    /// apart; the matmul splits groups over threads). Two groups at once in 512-bit registers where the tier and type
    /// have it and the call has <see cref="TwoGroupsMinTokens"/> tokens or more, else one group at a time; within a
    /// group, tiles of four tokens, then one tile of the two or three left (a decode step of 2 or 3 sequences is one
    /// such tile), or a single token.
    /// </summary>
    public static void DotGroups<TTier>(GgmlType type, byte* data, long groupBytes, int start, int end, int columns, in Q8Batch batch,
        int tokens, float* y, long yStride) where TTier : struct, ISimdTier
    {
        switch (type)
        {
            case GgmlType.Q4_0: DotGroups<Q4_0x8, TTier>(data, groupBytes, start, end, columns, batch, tokens, y, yStride); break;
            case GgmlType.Q8_0: DotGroups<Q8_0x8, TTier>(data, groupBytes, start, end, columns, batch, tokens, y, yStride); break;
            case GgmlType.Q4_K: DotGroups<Q4_Kx8, TTier>(data, groupBytes, start, end, columns, batch, tokens, y, yStride); break;
            default: DotGroups<Q6_Kx8, TTier>(data, groupBytes, start, end, columns, batch, tokens, y, yStride); break;
        }
    }

    static void DotGroups<TKernel, TTier>(byte* data, long groupBytes, int start, int end, int columns, in Q8Batch batch, int tokens,
        float* y, long yStride) where TKernel : IGroupKernel where TTier : struct, ISimdTier
    {
        int blocks = columns / TKernel.BlockWeights, g = start;
        if (TTier.TwoGroups && tokens >= TwoGroupsMinTokens)
            for (; g + 2 <= end; g += 2)
                TwoGroups<TKernel, TTier>(data + g * groupBytes, groupBytes, blocks, batch, tokens, y + g * Group, yStride);
        for (; g < end; g++)
            OneGroup<TKernel, TTier>(data + g * groupBytes, blocks, batch, tokens, y + g * Group, yStride);
    }

    /// <summary>
    /// The fewest tokens of a call that take the 512-bit two-groups path: prompts (chunks of up to 64 tokens), whose
    /// tiles reuse each pair of groups from the cache. A decode step of 4–7 sequences has one tile of four per group,
    /// every weight byte read from memory for it; there the 256-bit tiles are at least as fast, and on an AMD Zen 4
    /// (512-bit operations in two halves) faster: 4 streams through `phi serve` on a quiet machine made 21.4 tok/s with
    /// the 256-bit tiles (tier x86-avx2) against 18.5 with the 512-bit ones, and 8 layers' matrices, one core, took 65–68
    /// ms against 73–80 (docs/SERVER.md, "Batched decoding: figures"). The products are the same either way
    /// (<see cref="TwoGroups{TKernel, TTier}"/>), so the rule changes no result.
    /// </summary>
    internal const int TwoGroupsMinTokens = 8;

    /// <summary>
    /// How many token pairs a matmul of <paramref name="tokens"/> lays out side by side (<see cref="Q8Activations.PairTokens"/>)
    /// for <see cref="Q4_0x8"/>'s pair tiles: the first two pairs of a decode step of 4–7 sequences (a tile of four per
    /// group; from <see cref="TwoGroupsMinTokens"/> tokens on, the two-groups path runs the tiles), for Q4_0 at tier
    /// x86-avx512-avxvnni where the CPU has GFNI (the tiles take high nibbles by it; every CPU of that tier known to us
    /// has it). That tier stands for CPUs with whole 512-bit units: on an AMD Zen 5 a pair tile took 6.4 ns a block
    /// with the weights in L2 against 8.3–8.5 through 256-bit vpdpbusd, and 8.8–9.4 against 10.9–11.8 with both cores
    /// streaming them from memory (Intel's AVX-512 cores with AVX-VNNI are taken to be alike; not measured). On an
    /// AMD Zen 4 (x86-avx512, 512-bit operations in two halves) two tokens per 512-bit register ran slower than the
    /// 256-bit tile (docs/SERVER.md, "4-token Q4_0 tiles"), so that tier keeps it.
    /// </summary>
    public static int TokenPairs(GgmlType type, SimdTier tier, int tokens) =>
        type == GgmlType.Q4_0 && tier == SimdTier.Avx512AvxVnni && Gfni.V512.IsSupported && tokens >= 4 && tokens < TwoGroupsMinTokens ? 2 : 0;

    /// <summary>How far ahead of the block it multiplies a group's first tile asks for weights, in bytes (see
    /// <see cref="PrefetchAhead"/>).</summary>
    const int PrefetchDistance = 8192;

    /// <summary>
    /// Asks for the <paramref name="bytes"/> bytes <see cref="PrefetchDistance"/> past <paramref name="block"/> (the
    /// weights some 57 Q4_0 blocks or 5 Q6_K blocks on, in the same group or a later one) to be brought into the cache;
    /// nothing off x86. A tile of 2–4 tokens spends long enough on each block that, with both cores streaming weights
    /// (a decode step of several sequences), the hardware prefetchers fell behind and the cores waited on memory
    /// between blocks: two threads each running 4 tokens through 113 MB of Q4_0 took 15.8–18.3 ms of CPU (medians)
    /// without this and 11.5–12.2 ms with it (AMD Zen 4, 2026-12-03; 1024–4096 bytes ahead were all alike). On an AMD
    /// Zen 5, whose pair tile takes about 5.7 ns a block, 2048 bytes ahead (some 80 ns) was too near: two threads each
    /// running 4 tokens through 12 matrices of 4096 × 3072 Q4_0 (bench/decode_kernels.cs, 5–6 alternating runs) took
    /// a median 7.8 ns a block 2048 bytes ahead, 6.5 at 4096 and 5.6–5.8 at 8192 to 32768, as fast as from L2; 4
    /// server streams made 58–61 tok/s instead of 46–50 (docs/SERVER.md, "Tenth session"). The first tile of a group
    /// only: later tiles of a prompt find its weights in the cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PrefetchAhead(byte* block, int bytes)
    {
        if (!Sse.IsSupported) return;
        for (int offset = 0; offset < bytes; offset += 64) Sse.Prefetch0(block + PrefetchDistance + offset);
    }

    /// <summary>y[(t − first)·yStride + j] = row j of the group · token t, for tokens [first, tokens).</summary>
    internal static void OneGroup<TKernel, TTier>(byte* group, int blocks, in Q8Batch batch, int tokens, float* y, long yStride, int first = 0)
        where TKernel : IGroupKernel where TTier : struct, ISimdTier
    {
        if (TTier.Neon)
        {
            for (int t = 0; t < tokens; t++) TKernel.OneTokenNeon<TTier>(group, blocks, batch.Row(t), y + t * yStride);
            return;
        }
        if (TTier.Width != 256)
        {
            for (int t = first; t < tokens; t++)
                for (int j = 0; j < Group; j++)
                    y[(t - first) * yStride + j] = TKernel.NarrowRow<TTier>(group, blocks, j, batch.Row(t));
            return;
        }
        int done = first;
        for (; done + 4 <= tokens; done += 4)
            TKernel.Tile<TTier, TokenTile.Four>(group, blocks, batch, done, y + (done - first) * yStride, yStride);
        float* rest = y + (done - first) * yStride;
        switch (tokens - done)
        {
            case 3: TKernel.Tile<TTier, TokenTile.Three>(group, blocks, batch, done, rest, yStride); break;
            case 2: TKernel.Tile<TTier, TokenTile.Two>(group, blocks, batch, done, rest, yStride); break;
            case 1: TKernel.OneToken<TTier>(group, blocks, batch.Row(done), rest); break;
        }
    }

    /// <summary>
    /// Two adjacent groups (16 rows, <paramref name="groupBytes"/> apart) in 512-bit registers: each activation
    /// broadcast, multiply-add and scaling serves 16 rows, halving the instructions of the 8-row path. With AVX-VNNI
    /// the 256-bit vpdpbusd does a block's products in fewer instructions, but 16 rows per instruction in zmm with
    /// 16-bit sums before widening beat it: on an AMD Zen 5 with both, Q4_0's 512-token prompt ran at 54 tok/s this
    /// way against 37 through 256-bit VNNI, and generation was unchanged (docs/PERFORMANCE.md). .NET 10 has no 512-bit
    /// VNNI. A single token (one sequence's decode step, a remainder of one) runs each group's 256-bit path.
    /// y[t·yStride + j], j in 0..15.
    /// </summary>
    [SkipLocalsInit] // the widened scales are written before they are read; zeroing them first cost a pass over the stack
    internal static void TwoGroups<TKernel, TTier>(byte* first, long groupBytes, int blocks, in Q8Batch batch, int tokens, float* y,
        long yStride) where TKernel : IGroupKernel where TTier : struct, ISimdTier
    {
        byte* second = first + groupBytes;
        int done = 0;
        if (tokens >= 4)
        {
            float* scales = null;
            if (TKernel.WidensScales)
            {
                float* widened = stackalloc float[2 * Group * blocks];
                WidenScales(first, groupBytes, blocks, TKernel.GroupStride, widened);
                scales = widened;
            }
            for (; done + 4 <= tokens; done += 4)
                TKernel.FourTokensTwoGroups<TTier>(first, second, scales, blocks, batch, done, y + done * yStride, yStride);
        }
        if (done < tokens)
        {
            // The remainder of 1–3 tokens (a decode step of up to 3 sequences) through each group's 256-bit tile: on
            // an AMD Zen 4 (512-bit operations in two halves) a 512-bit tile of two tokens took 1.4× the CPU time of
            // two single tokens, the 256-bit tile 0.75× (docs/SERVER.md, "Batched decoding: figures").
            OneGroup<TKernel, TTier>(first, blocks, batch, tokens, y + done * yStride, yStride, done);
            OneGroup<TKernel, TTier>(second, blocks, batch, tokens, y + done * yStride + Group, yStride, done);
        }
    }

    /// <summary>The block scales of two groups' 16 rows (half precision, at the start of every group block of
    /// <paramref name="groupStride"/> bytes), widened once for all the tokens of a call: 16 floats per block.</summary>
    internal static void WidenScales(byte* first, long groupBytes, int blocks, int groupStride, float* scales)
    {
        for (int b = 0; b < blocks; b++)
        {
            HalfScales.Load8(first + b * groupStride).Store(scales + 16 * b);
            HalfScales.Load8(first + groupBytes + b * groupStride).Store(scales + 16 * b + 8);
        }
    }

    /// <summary>Row j · one token through the row-major kernel, each block rebuilt in the type's own form: the tiers
    /// narrower than 256 bits (simple rather than fast: they are the portable fallback).</summary>
    internal static float RebuiltRow<TKernel, TTier>(byte* group, int blocks, int j, Q8Row a)
        where TKernel : IGroupKernel where TTier : struct, ISimdTier
    {
        byte* block = stackalloc byte[TKernel.RowBlockBytes];
        float sum = 0;
        for (int b = 0; b < blocks; b++)
        {
            TKernel.Extract(group, b, j, block, unsignedCodes: false); // these tiers read the codes as stored
            sum += TKernel.BlockDot<TTier>(block, a, b);
        }
        return sum;
    }

    /// <summary>Row j of the group at <paramref name="group"/> of <paramref name="weight"/>, dequantized.</summary>
    public static void DequantizeRow(in WeightTensor weight, byte* group, int j, Span<float> y)
    {
        int length = GgmlTypeInfo.BlockSize(weight.Type), bytes = GgmlTypeInfo.BlockBytes(weight.Type);
        bool unsignedCodes = weight.Layout == WeightLayout.RowsInterleavedUnsigned;
        byte* block = stackalloc byte[bytes];
        for (int b = 0; b < weight.RowLength / length; b++)
        {
            switch (weight.Type)
            {
                case GgmlType.Q4_0: Q4_0x8.Extract(group, b, j, block, unsignedCodes); break;
                case GgmlType.Q8_0: Q8_0x8.Extract(group, b, j, block, unsignedCodes); break;
                case GgmlType.Q4_K: Q4_Kx8.Extract(group, b, j, block, unsignedCodes); break;
                default: Q6_Kx8.Extract(group, b, j, block, unsignedCodes); break;
            }
            Dequantize.Row(weight.Type, new ReadOnlySpan<byte>(block, bytes), y.Slice(b * length, length));
        }
    }
}
