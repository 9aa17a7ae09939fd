using PhiSharp.Formats;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Models.Decoder;
using PhiSharp.Models.Phi3;

namespace PhiSharp.Models.Phi3Vision;

/// <summary>
/// Phi3VForCausalLM: Phi-3-mini's decoder (<see cref="Phi3Network"/>, unchanged) with the image encoder beside it.
/// Image features enter as spliced embedding rows (<see cref="DecoderInput"/>) at the prompt's placeholder positions.
/// </summary>
internal sealed class Phi3VisionNetwork(Phi3Network text, Phi3VisionEncoder vision) : DecoderNetwork
{
    public Phi3Network Text { get; } = text;
    public Phi3VisionEncoder Vision { get; } = vision;

    public override DecoderShape Shape => Text.Shape;
    public override IReadOnlyList<IDecoderLayer> Layers => Text.Layers;
    public override bool UsesLongFactors(int sequenceLength) => Text.UsesLongFactors(sequenceLength);
    public override void Embed(int token, int position, Span<float> row, Span<float> scratch) => Text.Embed(token, position, row, scratch);
    public override void Head(DecoderChunk chunk, int first, int count, Span<float> output) => Text.Head(chunk, first, count, output);
}

/// <summary>Phi3VForCausalLM (<c>model_type</c> phi3_v): Phi-3-vision and Phi-3.5-vision, from Hugging Face folders.
/// llama.cpp has no such architecture, so there is no GGUF form (yet).</summary>
internal sealed class Phi3VisionArchitecture : ModelArchitecture
{
    public override IReadOnlyList<string> GgufNames => ["phi3v"];
    public override IReadOnlyList<string> HfArchitectures => ["Phi3VForCausalLM"];

    public override DecoderNetwork FromGguf(Formats.Gguf.GgufFile gguf, LoadOptions options) =>
        throw new UnsupportedModelException(gguf.Path, "Phi-3-vision GGUF files are not supported; load the Hugging Face folder");

    public override DecoderNetwork FromHuggingFace(HfModelConfig config, ITensorSource weights, LoadOptions options)
    {
        var textConfig = Phi3ConfigReader.FromHuggingFace(config);
        var text = new Phi3Network(weights, textConfig, Phi3TensorNames.HuggingFace, options.IgnoreSlidingWindow);
        var vision = Phi3VisionEncoder.Bind(weights, Phi3VisionConfig.FromHuggingFace(config), textConfig.HiddenSize);
        return new Phi3VisionNetwork(text, vision);
    }
}
