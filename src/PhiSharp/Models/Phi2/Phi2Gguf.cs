using PhiSharp.Formats.Gguf;

namespace PhiSharp.Models.Phi2;

/// <summary>
/// A Hugging Face Phi-2 / Phi-1.5 checkpoint as convert_hf_to_gguf.py's Phi2Model writes it: llama.cpp's phi2 tensor
/// names (q, k and v stay separate, as llama.cpp's phi2 loader also accepts them), every projection and LayerNorm with
/// its bias, and the <c>phi2.*</c> keys <see cref="Phi2Config.FromGguf"/> reads back.
/// </summary>
internal static class Phi2Gguf
{
    public static GgufConversion Conversion(Phi2Config c, string source)
    {
        if (c.QkLayerNorm)
            throw new UnsupportedModelException(source, "qk_layernorm cannot be converted: llama.cpp's phi2 GGUF has no query/key LayerNorm tensors");
        var tensors = new List<(string, string)>();
        void Add(string gguf, string hf, bool bias = true)
        {
            tensors.Add((gguf + ".weight", hf + ".weight"));
            if (bias) tensors.Add((gguf + ".bias", hf + ".bias"));
        }
        Add("token_embd", "model.embed_tokens", bias: false);
        Add("output_norm", "model.final_layernorm");
        Add("output", "lm_head");
        for (int i = 0; i < c.LayerCount; i++)
        {
            string to = $"blk.{i}.", from = $"model.layers.{i}.";
            Add(to + "attn_norm", from + "input_layernorm");
            Add(to + "attn_q", from + "self_attn.q_proj");
            Add(to + "attn_k", from + "self_attn.k_proj");
            Add(to + "attn_v", from + "self_attn.v_proj");
            Add(to + "attn_output", from + "self_attn.dense");
            Add(to + "ffn_up", from + "mlp.fc1");
            Add(to + "ffn_down", from + "mlp.fc2");
        }
        return new GgufConversion
        {
            LayerCount = c.LayerCount, VocabSize = c.VocabSize, Tensors = tensors,
            WriteMetadata = (writer, name, fileType) => WriteMetadata(writer, c, name, fileType),
        };
    }

    static void WriteMetadata(GgufWriter writer, Phi2Config c, string name, uint fileType)
    {
        const string a = "phi2.";
        GgufConversion.WriteIdentity(writer, "phi2", name, c.MaxPositions);
        GgufConversion.WriteSizes(writer, "phi2", c.HiddenSize, c.IntermediateSize, c.LayerCount, c.HeadCount, c.KeyValueHeadCount);
        writer.AddMetadata(a + "attention.layer_norm_epsilon", c.LayerNormEpsilon);
        writer.AddMetadata(a + "rope.dimension_count", (uint)c.RotaryDim);
        writer.AddMetadata(a + "rope.freq_base", c.RopeTheta);
        writer.AddMetadata("general.file_type", fileType);
    }
}
