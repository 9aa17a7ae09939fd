using PhiSharp.Models;
using PhiSharp.Models.Phi3Vision;

namespace PhiSharp.Cli.Commands;

/// <summary>
/// The images of a `phi chat` conversation: <c>/image PATH</c> attaches one to the next message, where it stands as an
/// <c>&lt;|image_n|&gt;</c> line before the text (as PhiChatClient and the server place images). Once a conversation
/// has images, each turn's prompt is prepared whole (every image encoded again) and evaluated in a fresh session: the
/// placeholders say nothing of which pixels they stand for, so no cached prefix is trusted.
/// </summary>
sealed class ChatImages(LanguageModel model, int contextLength) : IDisposable
{
    readonly List<RgbImage> _images = [];
    int _sent;
    Phi3VisionModel? _vision;
    IInferenceSession? _session;

    public int Count => _images.Count;

    /// <summary>Images in the conversation's messages; the rest wait for the next message.</summary>
    public int Sent => _sent;

    /// <summary>Decodes the image for the next message; null when attached, else the error to show (the chat goes on).</summary>
    public string? Attach(string path)
    {
        try
        {
            _vision ??= new Phi3VisionModel(model);
            _images.Add(ImageDecoder.Decode(path.Trim().Trim('"')));
            return null;
        }
        catch (Exception e) when (e is UnsupportedModelException or ImageInputException or IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    /// <summary>The tag lines of the images attached since the last message, which they now belong to.</summary>
    public string TakeTags()
    {
        string tags = string.Concat(Enumerable.Range(_sent + 1, _images.Count - _sent).Select(n => $"<|image_{n}|>\n"));
        _sent = _images.Count;
        return tags;
    }

    /// <summary>Drops the images of messages taken back (<paramref name="keep"/> of them stay), or of a /reset (none).</summary>
    public void Keep(int keep)
    {
        _images.RemoveRange(keep, _images.Count - keep);
        _sent = Math.Min(_sent, keep);
    }

    /// <summary>The conversation's text with its images, ready to be evaluated.</summary>
    public Phi3VisionPrompt Prepare(string text) => _vision!.Prepare(text, _images);

    /// <summary>Evaluates <paramref name="prompt"/> in the emptied session, which it returns; generation then keeps all
    /// of it but the last token.</summary>
    public IInferenceSession Evaluate(Phi3VisionPrompt prompt)
    {
        _session ??= model.Network.CreateSession(contextLength);
        _session.Truncate(0);
        _vision!.Append(_session, prompt, new float[model.Network.VocabSize]);
        return _session;
    }

    public void Dispose() => _session?.Dispose();
}
