namespace PhiSharp.Hub;

public enum PullStage { Download, Convert }

/// <summary>How far a pull is: bytes of one file downloaded, or elements of a model converted.</summary>
/// <param name="Item">The file being downloaded, or the model being converted.</param>
public sealed record PullProgress(PullStage Stage, string Item, long Done, long Total);
