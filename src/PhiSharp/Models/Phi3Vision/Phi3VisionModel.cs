using System.Text.Json;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Models.Phi3Vision;

/// <summary>
/// Images in, for a loaded Phi-3-vision or Phi-3.5-vision model: preprocessing (<see cref="Processor"/>), the prompt
/// with its images (<see cref="Prepare"/>), and evaluating it in a session of the model's network
/// (<see cref="Append"/>); generation then goes on from that session as for text.
/// </summary>
public sealed class Phi3VisionModel
{
    readonly DecoderModel _model;
    readonly Phi3VisionNetwork _network;

    public LanguageModel Model { get; }
    public Phi3VisionImageProcessor Processor { get; }

    /// <param name="maxCrops">num_crops: by default the folder's preprocessor_config.json (Phi-3-vision 16,
    /// Phi-3.5-vision 4), else 4.</param>
    /// <exception cref="UnsupportedModelException">The model has no image encoder.</exception>
    public Phi3VisionModel(LanguageModel model, int? maxCrops = null)
    {
        if (model.Network is not DecoderModel { Network: Phi3VisionNetwork network } decoder)
            throw new UnsupportedModelException(model.Info.Path, $"'{model.Info.Architecture}' takes no images (Phi3VForCausalLM does)");
        (_model, _network, Model) = (decoder, network, model);
        Processor = new Phi3VisionImageProcessor(maxCrops ?? ConfiguredCrops(model.Info.Path) ?? 4);
    }

    /// <summary>num_crops of the preprocessor_config.json beside the checkpoint: <paramref name="weights"/> (the
    /// model's Info.Path) is its model.safetensors or model.safetensors.index.json, not the folder.</summary>
    static int? ConfiguredCrops(string weights)
    {
        string folder = Directory.Exists(weights) ? weights : Path.GetDirectoryName(Path.GetFullPath(weights))!;
        string path = Path.Combine(folder, "preprocessor_config.json");
        if (!File.Exists(path)) return null;
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return json.RootElement.TryGetProperty("num_crops", out var crops) && crops.TryGetInt32(out int n) && n > 0 ? n : null;
    }

    /// <summary>Tokenizes <paramref name="text"/> with its <c>&lt;|image_n|&gt;</c> tags expanded, and encodes each image.</summary>
    public Phi3VisionPrompt Prepare(string text, IReadOnlyList<RgbImage> images)
    {
        var pixels = images.Select(Processor.Process).ToArray();
        var ids = Phi3VisionPrompt.ExpandIds(Model.Tokenizer, text, pixels.Select(p => p.TokenCount).ToArray());
        return new Phi3VisionPrompt { Ids = ids, ImageRows = pixels.Select(p => _network.Vision.Encode(_model, p)).ToArray() };
    }

    /// <summary>Evaluates <paramref name="prompt"/> after the session's tokens and writes the logits of its last
    /// position (or of all of them) into <paramref name="logits"/>.</summary>
    public void Append(IInferenceSession session, Phi3VisionPrompt prompt, Span<float> logits, bool allPositions = false)
    {
        if (session is not DecoderSession decoder)
            throw new ArgumentException("The session is not one of this model's.", nameof(session));
        decoder.Append(new DecoderInput(prompt.Ids, prompt.EmbeddingSpans()), logits, allPositions);
    }
}
