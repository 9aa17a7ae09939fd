using System.Text;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Models.Phi3Small;

namespace PhiSharp.Tests.Models.Phi3Small;

/// <summary>config.json of Phi-3-small: configuration_phi3_small.py's defaults fill what the file leaves out, and
/// what the forward pass cannot run is refused by name.</summary>
public class Phi3SmallConfigTests
{
    static Phi3SmallConfig Read(string json) =>
        Phi3SmallConfigReader.FromHuggingFace(HfJsonObject.Parse("config.json", Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Missing_fields_take_the_released_8k_model_s_values()
    {
        var c = Read("""{"hidden_size": 4096}""");
        Assert.Equal((32, 32, 8, 14336, 100352, 8192), (c.LayerCount, c.HeadCount, c.KeyValueHeadCount, c.IntermediateSize, c.VocabSize, c.MaxPositions));
        Assert.Equal((64, 16, 8, false, 2), (c.BlockSize, c.LocalBlocks, c.VerticalStride, c.SamePatternForAllHeads, c.DenseAttentionEveryNLayers));
        Assert.Equal((10f, 8f, 1f, true), (c.MupEmbeddingMultiplier, c.MupWidthMultiplier, c.MupAttentionMultiplier, c.MupUseScaling));
        Assert.Equal(1f / 128, c.AttentionScale);          // muP: mup_attn_multiplier / head_dim, not 1/sqrt(head_dim)
        Assert.Equal(Phi3SmallSpecialTokens.DummyTokenIds, c.DummyTokenIds);
        Assert.Equal(91, c.DummyTokenIds.Length);          // 86 dummy ids, 3 fill-in-the-middle markers, <|endofprompt|>, <|dummy_id_2|>'s 100256
        Assert.False(c.IsDenseLayer(0));
        Assert.True(c.IsDenseLayer(1));
    }

    [Fact]
    public void Ff_dim_multiplier_gives_the_intermediate_size_rounded_up_to_256()
    {
        var c = Read("""{"hidden_size": 4096, "ff_intermediate_size": null, "ff_dim_multiplier": 3}""");
        Assert.Equal((3 * (4096 / 3) * 2 + 255) / 256 * 256, c.IntermediateSize);
    }

    [Fact]
    public void A_vocabulary_other_than_the_released_one_needs_its_dummy_ids()
    {
        var e = Assert.Throws<ModelFormatException>(() => Read("""{"hidden_size": 64, "num_attention_heads": 4, "vocab_size": 500}"""));
        Assert.Contains("dummy_token_indices", e.Message);
    }

    [Fact]
    public void Only_the_gegelu_activation_is_accepted()
    {
        var e = Assert.Throws<UnsupportedModelException>(() => Read("""{"hidden_size": 4096, "hidden_act": "gelu"}"""));
        Assert.Contains("gelu", e.Message);
    }

    [Fact]
    public void Inconsistent_head_counts_are_refused_by_name()
    {
        var c = Read("""{"hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 6}""");
        var e = Assert.Throws<ModelFormatException>(() => c.Validate("config.json"));
        Assert.Contains("6 key/value heads", e.Message);
    }

    [Fact]
    public void Dummy_ids_outside_the_vocabulary_are_refused()
    {
        var c = Read("""{"hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 10, "dummy_token_indices": [3, 12]}""");
        var e = Assert.Throws<ModelFormatException>(() => c.Validate("config.json"));
        Assert.Contains("dummy token id 12", e.Message);
    }
}
