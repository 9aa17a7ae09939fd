using PhiSharp.Formats.HuggingFace;

namespace PhiSharp.Models.Phi3Vision;

/// <summary>
/// The vision settings of a Phi3VForCausalLM config.json (<c>img_processor</c>, <c>embd_layer</c>); the text model's
/// are Phi-3's. Only what the released Phi-3-vision and Phi-3.5-vision use is supported: the CLIP tower, the HD
/// transform with learnable separators in "sub_glb" order, patch features, a two-layer MLP projector. Anything else
/// is an <see cref="UnsupportedModelException"/> naming the field.
/// </summary>
internal sealed record Phi3VisionConfig(int ImageDimOut, int LayerIndex)
{
    public static Phi3VisionConfig FromHuggingFace(HfModelConfig config)
    {
        var image = config.GetObject("img_processor");
        var layer = config.GetObject("embd_layer");
        void Require(HfJsonObject o, string name, string expected, string actual)
        {
            if (actual != expected)
                throw new UnsupportedModelException(config.FilePath, $"{o.FieldPath}.{name} '{actual}' is not supported (only '{expected}')");
        }
        Require(image, "name", "clip_vision_model", image.TryGetString("name", out string n) ? n : "");
        Require(image, "type_feature", "patch", image.TryGetString("type_feature", out string f) ? f : "patch");
        Require(layer, "hd_transform_order", "sub_glb", layer.TryGetString("hd_transform_order", out string o) ? o : "glb_sub");
        Require(layer, "projection_cls", "mlp", layer.TryGetString("projection_cls", out string p) ? p : "linear");
        Require(layer, "use_hd_transform", "True", (layer.TryGetBool("use_hd_transform", out bool hd) && hd).ToString());
        Require(layer, "with_learnable_separator", "True", (layer.TryGetBool("with_learnable_separator", out bool s) && s).ToString());
        int tokens = image.TryGetInt("num_img_tokens", out int t) ? t : 144;
        if (tokens != 144) throw image.Error("num_img_tokens", $"is {tokens}; the HD transform gives 144 per 336-pixel crop");
        int layerIndex = image.TryGetInt("layer_idx", out int li) ? li : -2;
        return new Phi3VisionConfig(image.GetPositiveInt("image_dim_out"), layerIndex);
    }

    /// <summary>Layers evaluated for hidden_states[layer_idx] of a tower of <paramref name="layers"/>: index 0 is the
    /// embeddings, so a negative index counts from layers + 1.</summary>
    public int LayersEvaluated(int layers, string path)
    {
        int evaluated = LayerIndex < 0 ? layers + 1 + LayerIndex : LayerIndex;
        if (evaluated < 0 || evaluated > layers)
            throw new ModelFormatException(path, $"img_processor.layer_idx {LayerIndex} is outside the CLIP tower's {layers} layers");
        return evaluated;
    }
}
