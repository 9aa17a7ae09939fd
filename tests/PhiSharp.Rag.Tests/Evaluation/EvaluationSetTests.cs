using PhiSharp.Rag.Evaluation;
using PhiSharp.Rag.Tests.Cli;

namespace PhiSharp.Rag.Tests.Evaluation;

/// <summary>The evaluation sets behind docs/RAG.md's figures (and the set the hybrid fusion was tuned on) name documents that exist in the corpus.</summary>
public class EvaluationSetTests
{
    [Theory]
    [InlineData("questions.jsonl", 70)]
    [InlineData("paraphrased.jsonl", 37)]
    [InlineData("tuning.jsonl", 62)]
    [InlineData("tuning-paraphrased.jsonl", 70)]
    public void Every_question_names_corpus_documents(string file, int count)
    {
        var questions = RetrievalEvaluation.ReadQuestions(Path.Combine(Phi.Fixtures, file));
        Assert.Equal(count, questions.Count);
        Assert.Equal(count, questions.Select(q => q.Question).Distinct().Count());
        foreach (var q in questions)
            Assert.All(q.Relevant, path => Assert.True(File.Exists(Path.Combine(Phi.Fixtures, "corpus", path)), $"{file}: {path}"));
    }
}
