using PhiSharp.Models.Phi3Small;

namespace PhiSharp.Tests.Models.Phi3Small;

/// <summary>
/// Phi-3-small's block-sparse pattern equals the remote code's own (<c>_get_sparse_attn_mask</c>, dumped to masks.json
/// by tools/reference/transformers/phi3small_fixtures.py) for the released setting (32 heads, blocks of 64, 16 local,
/// stride 8, per-head patterns) and five small ones, and the visibility built on it hides exactly the other keys.
/// </summary>
public class BlockSparsePatternTests
{
    public static TheoryData<int> MaskCases => new(Enumerable.Range(0, Phi3SmallFixtures.Masks().Length));

    [Theory]
    [MemberData(nameof(MaskCases))]
    public void Every_block_is_visible_exactly_where_the_remote_code_says(int index)
    {
        var m = Phi3SmallFixtures.Masks()[index];
        var pattern = new BlockSparsePattern(m.Heads, m.BlockSize, m.LocalBlocks, m.VertStride, m.HomoHead);
        int blocks = (m.Tokens + m.BlockSize - 1) / m.BlockSize;
        Assert.Equal(m.Heads, m.Blocks.Length);
        for (int h = 0; h < m.Heads; h++)
            for (int q = 0; q < blocks; q++)
                for (int k = 0; k < blocks; k++)
                    Assert.True((m.Blocks[h][q][k] == '1') == pattern.BlockVisible(h, q, k),
                        $"head {h}, query block {q}, key block {k}: the remote code says {m.Blocks[h][q][k]}");
    }

    [Theory]
    [MemberData(nameof(MaskCases))]
    public void The_first_key_is_the_earliest_visible_one(int index)
    {
        var m = Phi3SmallFixtures.Masks()[index];
        var pattern = new BlockSparsePattern(m.Heads, m.BlockSize, m.LocalBlocks, m.VertStride, m.HomoHead);
        for (int h = 0; h < m.Heads; h++)
            for (int query = 0; query < m.Tokens; query += m.Tokens / 40 + 1)
            {
                int earliest = Enumerable.Range(0, query + 1).First(key => pattern.Visible(h, query, key));
                Assert.Equal(earliest, pattern.FirstKey(h, query));
            }
    }

    [Fact]
    public void Hidden_keys_get_minus_infinity_and_visible_ones_keep_their_scores()
    {
        var pattern = new BlockSparsePattern(4, 16, 2, 3, samePatternForAllHeads: false);
        var visibility = new BlockSparseVisibility(pattern);
        for (int h = 0; h < 4; h++)
        {
            int query = 299, first = visibility.FirstKey(h, query);
            var scores = Enumerable.Range(first, query - first + 1).Select(k => (float)k).ToArray();
            visibility.HideKeys(h, query, first, scores);
            for (int i = 0; i < scores.Length; i++)
                Assert.Equal(pattern.Visible(h, query, first + i) ? first + i : float.NegativeInfinity, scores[i]);
            Assert.Contains(float.NegativeInfinity, scores);   // 300 tokens: the pattern is not dense
        }
    }

    [Fact]
    public void Heads_rotate_their_vertical_blocks_unless_the_pattern_is_shared()
    {
        var perHead = new BlockSparsePattern(4, 16, 1, 4, samePatternForAllHeads: false);
        var shared = new BlockSparsePattern(4, 16, 1, 4, samePatternForAllHeads: true);
        // Query block 10 with one local block: head h sees key block k < 10 when (k + 1 + h) mod 4 = 0.
        int[] VerticalBlocks(BlockSparsePattern p, int h) => Enumerable.Range(0, 10).Where(k => p.BlockVisible(h, 10, k)).ToArray();
        Assert.Equal([3, 7], VerticalBlocks(perHead, 0));
        Assert.Equal([2, 6], VerticalBlocks(perHead, 1));
        Assert.Equal([3, 7], VerticalBlocks(shared, 1));
    }
}
