using Interp.Analysis.Datasets;

namespace Interp.Analysis.Rules;

/// <summary>
/// A recursive-descent parser for rules over image features, lowest precedence first:
/// <code>
/// rule    := or
/// or      := and ("or" and)*
/// and     := not ("and" not)*
/// not     := "not" not | compare
/// compare := sum (("&lt;" | "&lt;=" | "&gt;" | "&gt;=" | "==" | "!=") sum)?
/// sum     := product (("+" | "-") product)*
/// product := unary (("*" | "/") unary)*
/// unary   := "-" unary | atom
/// atom    := NUMBER | FEATURE | "(" or ")" | CMP "(" image "," image ")" | "abs(" sum ")" | "px(" NUMBER "," NUMBER ")"
/// image   := "img" | REFERENCE                      (REFERENCE: digit:N, mean:C, file:PATH)
/// </code>
/// FEATURE is ink, top, bottom, left, right, height, width, row, col or class; CMP is dot, cos, l1 or l2. Types are
/// checked as it goes: and/or/not join tests, comparisons and arithmetic take numbers. Every error names its column.
/// </summary>
public sealed class RuleParser
{
    readonly string text;
    readonly List<RuleToken> tokens;
    int position;

    RuleParser(string text)
    {
        this.text = text;
        tokens = RuleLexer.Tokenize(text);
    }

    /// <summary>A rule: the whole text must be a test (true = the label).</summary>
    public static RuleNode ParseTest(string text) => Parse(text, wantTest: true);

    /// <summary>A numeric feature expression, e.g. <c>l2(img, mean:3) / ink</c>.</summary>
    public static RuleNode ParseNumber(string text) => Parse(text, wantTest: false);

    static RuleNode Parse(string text, bool wantTest)
    {
        ArgumentNullException.ThrowIfNull(text);
        var p = new RuleParser(text);
        if (p.Peek.Kind == TokenKind.End) throw p.Error(p.Peek, "the rule is empty");
        var node = p.Or();
        if (p.Peek.Kind != TokenKind.End) throw p.Error(p.Peek, $"unexpected '{p.Peek.Text}' after a complete {(node.IsTest ? "test" : "expression")}");
        if (wantTest && !node.IsTest) throw p.Error(node.Column, $"'{text.Trim()}' is a number, not a test: compare it, e.g. {text.Trim()} > 0.5");
        if (!wantTest && node.IsTest) throw p.Error(node.Column, "expected a number, got a test (true/false)");
        return node;
    }

    RuleToken Peek => tokens[position];
    RuleToken Next() => tokens[position++];
    bool IsName(string name) => Peek.Kind == TokenKind.Name && Peek.Text == name;
    bool IsSymbol(params string[] symbols) => Peek.Kind == TokenKind.Symbol && symbols.Contains(Peek.Text);

    RuleSyntaxError Error(RuleToken at, string problem) => Error(at.Column, problem);
    RuleSyntaxError Error(int column, string problem) => new(text, column, problem);

    RuleNode Or()
    {
        var left = And();
        while (IsName("or"))
        {
            var op = Next();
            left = new LogicNode(left.Column, "or", Test(left, op), Test(And(), op));
        }
        return left;
    }

    RuleNode And()
    {
        var left = Not();
        while (IsName("and"))
        {
            var op = Next();
            left = new LogicNode(left.Column, "and", Test(left, op), Test(Not(), op));
        }
        return left;
    }

    RuleNode Not()
    {
        if (!IsName("not")) return Compare();
        var op = Next();
        return new NotNode(op.Column, Test(Not(), op));
    }

    RuleNode Compare()
    {
        var left = Sum();
        if (!IsSymbol("<", "<=", ">", ">=", "==", "!=")) return left;
        var op = Next();
        var right = Sum();
        if (IsSymbol("<", "<=", ">", ">=", "==", "!="))
            throw Error(Peek, $"comparisons do not chain: write a {op.Text} b and b {Peek.Text} c");
        return new CompareNode(left.Column, op.Text, Number(left, op), Number(right, op));
    }

    RuleNode Sum()
    {
        var left = Product();
        while (IsSymbol("+", "-"))
        {
            var op = Next();
            left = new ArithmeticNode(left.Column, op.Text, Number(left, op), Number(Product(), op));
        }
        return left;
    }

    RuleNode Product()
    {
        var left = Unary();
        while (IsSymbol("*", "/"))
        {
            var op = Next();
            left = new ArithmeticNode(left.Column, op.Text, Number(left, op), Number(Unary(), op));
        }
        return left;
    }

    RuleNode Unary()
    {
        if (!IsSymbol("-")) return Atom();
        var op = Next();
        return new NegateNode(op.Column, Number(Unary(), op));
    }

    RuleNode Atom()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokenKind.Number:
                Next();
                return new NumberNode(t.Column, t.Number);
            case TokenKind.Symbol when t.Text == "(":
                Next();
                var inner = Or();
                Expect(")", $"'(' at column {t.Column} is not closed");
                return inner;
            case TokenKind.Name:
                return Name();
            case TokenKind.Reference:
                throw Error(t, $"an image ('{t.Text}') can only be compared: write e.g. l2(img, {t.Text})");
            case TokenKind.End:
                throw Error(t, "the rule ends too early: expected a number, a feature or '('");
            default:
                throw Error(t, $"unexpected '{t.Text}': expected a number, a feature or '('");
        }
    }

    RuleNode Name()
    {
        var t = Next();
        if (ImageFeatures.Comparisons.ContainsKey(t.Text)) return CompareImages(t);
        if (t.Text == "abs")
        {
            Expect("(", "abs needs '(': abs(x)");
            var x = Number(Sum(), t);
            Expect(")", "abs takes one number: abs(x)");
            return new AbsNode(t.Column, x);
        }
        if (t.Text == "px") return Pixel(t);
        if (RuleData.FeatureNames.Contains(t.Text)) return new FeatureNode(t.Column, t.Text);
        if (t.Text == RuleData.ThisImage) throw Error(t, "'img' can only be compared: write e.g. l2(img, digit:12)");
        if (t.Text is "and" or "or") throw Error(t, $"'{t.Text}' needs a test on its left");
        throw Error(t, $"unknown name '{t.Text}' (features: {string.Join(", ", RuleData.FeatureNames)}; functions: " +
            $"{string.Join(", ", ImageFeatures.Comparisons.Keys)}, abs, px)");
    }

    RuleNode CompareImages(RuleToken function)
    {
        Expect("(", $"{function.Text} compares two images: {function.Text}(img, digit:12)");
        string a = Image(function);
        Expect(",", $"{function.Text} compares two images: {function.Text}(img, digit:12)");
        string b = Image(function);
        Expect(")", $"{function.Text} takes two images: {function.Text}(img, digit:12)");
        return new CompareImagesNode(function.Column, function.Text, a, b);
    }

    string Image(RuleToken function)
    {
        var t = Next();
        if (t.Kind == TokenKind.Reference) return CheckReference(t);
        if (t.Kind == TokenKind.Name && t.Text == RuleData.ThisImage) return t.Text;
        throw Error(t, $"{function.Text} needs an image here: img, digit:N, mean:C or file:PATH (got '{t.Text}')");
    }

    string CheckReference(RuleToken t)
    {
        string kind = t.Text[..t.Text.IndexOf(':')];
        if (kind is not ("digit" or "mean" or "file")) throw Error(t, $"unknown image kind '{kind}:' (digit:N, mean:C or file:PATH)");
        return t.Text;
    }

    RuleNode Pixel(RuleToken px)
    {
        Expect("(", "px needs a row and a column: px(14, 14)");
        int row = Index(px);
        Expect(",", "px needs a row and a column: px(14, 14)");
        int col = Index(px);
        Expect(")", "px takes two numbers: px(14, 14)");
        return new PixelNode(px.Column, row, col);
    }

    int Index(RuleToken px)
    {
        var t = Next();
        if (t.Kind == TokenKind.Number && t.Number == Math.Floor(t.Number) && t.Number >= 0) return (int)t.Number;
        throw Error(t, $"px needs whole numbers ≥ 0, got '{t.Text}'");
    }

    void Expect(string symbol, string problem)
    {
        if (IsSymbol(symbol)) { Next(); return; }
        throw Error(Peek, Peek.Kind == TokenKind.End ? $"{problem} (the rule ends here)" : $"{problem} (got '{Peek.Text}')");
    }

    RuleNode Test(RuleNode node, RuleToken op) => node.IsTest ? node
        : throw Error(node.Column, $"'{op.Text}' joins tests (true/false), but this is a number: compare it, e.g. {node} > 0.5");

    RuleNode Number(RuleNode node, RuleToken op) => !node.IsTest ? node
        : throw Error(node.Column, $"'{op.Text}' needs a number, but this is a test (true/false)");
}
