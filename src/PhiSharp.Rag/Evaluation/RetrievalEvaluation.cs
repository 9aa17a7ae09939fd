using System.Text.Json;
using PhiSharp.Rag.Retrieval;

namespace PhiSharp.Rag.Evaluation;

/// <summary>One evaluation question and the documents (paths as written in the questions file) that answer it.</summary>
public sealed record EvalQuestion(string Question, IReadOnlyList<string> Relevant);

/// <summary>Mean recall at each cut-off and mean reciprocal rank, over documents (a document counts once, at its best chunk).</summary>
public sealed record EvalResult(int Questions, IReadOnlyDictionary<int, double> RecallAt, double Mrr);

/// <summary>
/// Scores a retriever against questions with known relevant documents. Rankings are of documents: the retrieved
/// chunks in order, each document kept at its first (best) chunk. recall@k = |relevant ∩ top k| / |relevant|;
/// MRR = 1 / rank of the first relevant document (0 when none is retrieved within the candidates), both averaged.
/// </summary>
public static class RetrievalEvaluation
{
    public static readonly int[] CutOffs = [1, 3, 5, 10];

    /// <summary>Chunks fetched per question: enough that ten distinct documents are almost always among them.</summary>
    const int Candidates = 50;

    /// <summary>Reads JSON lines of the form {"question": "...", "relevant": ["path", ...]}; the message names the bad line.</summary>
    public static IReadOnlyList<EvalQuestion> ReadQuestions(string path)
    {
        var questions = new List<EvalQuestion>();
        var lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            EvalQuestion? q;
            try { q = JsonSerializer.Deserialize<EvalQuestion>(lines[i], new JsonSerializerOptions(JsonSerializerDefaults.Web)); }
            catch (JsonException e) { throw new FormatException($"{path}:{i + 1}: not a JSON question line: {e.Message}", e); }
            if (q is null || string.IsNullOrWhiteSpace(q.Question) || q.Relevant is null || q.Relevant.Count == 0)
                throw new FormatException($"{path}:{i + 1}: a line needs \"question\" and a non-empty \"relevant\" list of paths");
            questions.Add(q);
        }
        if (questions.Count == 0) throw new FormatException($"{path} has no questions");
        return questions;
    }

    public static async Task<EvalResult> RunAsync(Retriever retriever, IReadOnlyList<EvalQuestion> questions, RetrievalMode mode,
        double? mmrLambda = null, CancellationToken cancel = default)
    {
        var recallSums = CutOffs.ToDictionary(k => k, _ => 0.0);
        double reciprocalRanks = 0;
        foreach (var question in questions)
        {
            var hits = await retriever.SearchAsync(question.Question, Candidates, mode, mmrLambda, cancel);
            var documents = hits.Select(h => h.Path).Distinct().ToList();
            bool IsRelevant(string stored) => question.Relevant.Any(r => PathMatches(stored, r));

            int first = documents.FindIndex(IsRelevant);
            if (first >= 0) reciprocalRanks += 1.0 / (first + 1);
            foreach (var k in CutOffs)
            {
                var top = documents.Take(k).ToList();
                recallSums[k] += question.Relevant.Count(r => top.Any(d => PathMatches(d, r))) / (double)question.Relevant.Count;
            }
        }
        return new EvalResult(questions.Count, recallSums.ToDictionary(p => p.Key, p => p.Value / questions.Count), reciprocalRanks / questions.Count);
    }

    /// <summary>Stored paths are absolute; a question names a file by its path relative to any folder above it.</summary>
    public static bool PathMatches(string stored, string relevant)
    {
        stored = stored.Replace('\\', '/');
        relevant = relevant.Replace('\\', '/').TrimStart('.', '/');
        return stored == relevant || stored.EndsWith("/" + relevant, StringComparison.Ordinal);
    }
}
