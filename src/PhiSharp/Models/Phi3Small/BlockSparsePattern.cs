namespace PhiSharp.Models.Phi3Small;

/// <summary>
/// Phi-3-small's block-sparse attention pattern, as its remote code builds it (<c>_get_sparse_attn_mask</c> in
/// triton_flash_blocksparse_attn.py). Positions are grouped into blocks of <see cref="BlockSize"/>. A query in block
/// q sees a key in block k ≤ q when k is one of the <see cref="LocalBlocks"/> nearest blocks (q − k &lt; local), or
/// when k is a "vertical" block: (k + 1 + h · step) mod stride = 0, where h is the query head and
/// step = max(1, stride / heads) rotates the vertical blocks between heads (h = 0 for every head when the pattern is
/// homogeneous). Within the visible blocks attention is causal: never a key after the query.
/// </summary>
public sealed record BlockSparsePattern
{
    public int HeadCount { get; }
    public int BlockSize { get; }
    public int LocalBlocks { get; }
    public int VerticalStride { get; }
    public bool SamePatternForAllHeads { get; }

    readonly int _headStep;

    public BlockSparsePattern(int headCount, int blockSize, int localBlocks, int verticalStride, bool samePatternForAllHeads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(headCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(localBlocks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(verticalStride, 1);
        HeadCount = headCount;
        BlockSize = blockSize;
        LocalBlocks = localBlocks;
        VerticalStride = verticalStride;
        SamePatternForAllHeads = samePatternForAllHeads;
        // Python's int(vert_stride / n_heads) on positive integers is integer division.
        _headStep = Math.Max(1, verticalStride / headCount);
    }

    /// <summary>Whether query block <paramref name="queryBlock"/> of head <paramref name="head"/> sees key block
    /// <paramref name="keyBlock"/> at all.</summary>
    public bool BlockVisible(int head, int queryBlock, int keyBlock)
    {
        if (keyBlock > queryBlock) return false;
        if (queryBlock - keyBlock < LocalBlocks) return true;
        int shift = SamePatternForAllHeads ? 0 : head * _headStep;
        return (keyBlock + shift + 1) % VerticalStride == 0;
    }

    /// <summary>Whether the query at position <paramref name="query"/> of head <paramref name="head"/> sees the key at
    /// position <paramref name="key"/>.</summary>
    public bool Visible(int head, int query, int key) =>
        key <= query && BlockVisible(head, query / BlockSize, key / BlockSize);

    /// <summary>The first key the query sees: the start of the earliest visible block (the first vertical block, or
    /// the first local block when no vertical block precedes it).</summary>
    public int FirstKey(int head, int query)
    {
        int queryBlock = query / BlockSize;
        int firstLocal = Math.Max(0, queryBlock - LocalBlocks + 1);
        int shift = SamePatternForAllHeads ? 0 : head * _headStep;
        // Smallest k ≥ 0 with (k + shift + 1) mod stride = 0.
        int firstVertical = ((VerticalStride - 1 - shift) % VerticalStride + VerticalStride) % VerticalStride;
        return Math.Min(firstLocal, firstVertical) * BlockSize;
    }
}
