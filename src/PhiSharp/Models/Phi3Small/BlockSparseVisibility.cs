using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Phi3Small;

/// <summary>
/// Block-sparse attention as a visibility: each query head sees the keys of <see cref="BlockSparsePattern"/>. The run
/// starts at the earliest visible block; keys of hidden blocks inside it get −∞ scores, a block at a time. Prefill
/// and decode use the same rule, since it depends only on the query's and key's positions.
/// </summary>
internal sealed record BlockSparseVisibility(BlockSparsePattern Pattern) : AttentionVisibility
{
    public override int FirstKey(int head, int query) => Pattern.FirstKey(head, query);

    public override bool HidesKeysInRange => true;

    public override void HideKeys(int head, int query, int first, Span<float> scores)
    {
        int size = Pattern.BlockSize, queryBlock = query / size, end = first + scores.Length;
        for (int block = first / size; block * size < end; block++)
        {
            if (Pattern.BlockVisible(head, queryBlock, block)) continue;
            int from = Math.Max(first, block * size), to = Math.Min(end, (block + 1) * size);
            scores[(from - first)..(to - first)].Fill(float.NegativeInfinity);
        }
    }
}
