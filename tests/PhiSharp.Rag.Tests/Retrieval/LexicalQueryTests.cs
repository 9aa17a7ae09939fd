using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Tests.Retrieval;

public class LexicalQueryTests
{
    [Fact]
    public void Function_words_are_left_out_of_the_terms()
    {
        Assert.Equal(["bees", "keep", "warm"], LexicalQuery.Terms("How do the bees keep warm?"));
        Assert.Equal("\"bees\" OR \"keep\" OR \"warm\"", LexicalQuery.ToFts5("How do the bees keep warm?"));
    }

    [Fact]
    public void A_query_of_function_words_only_keeps_them()
    {
        Assert.Equal(["to", "be", "or", "not"], LexicalQuery.Terms("To be, or not to be"));
    }

    [Fact]
    public void Terms_are_distinct_lower_case_words_without_punctuation()
    {
        Assert.Equal(["cats", "near", "purr"], LexicalQuery.Terms("Cats AND NEAR(\"purr\" OR cats"));
        Assert.Null(LexicalQuery.ToFts5("?!"));
    }
}
