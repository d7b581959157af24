using Interp.Analysis.Residual;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Analysis.Residual;

public class ResidualNormTests
{
    [Fact]
    public void ExponentialFitRecoversAnExactExponential()
    {
        var y = Enumerable.Range(0, 12).Select(l => 2.5 * Math.Pow(1.3, l)).ToArray();
        var fit = ExponentialFit.Fit(y);
        Assert.Equal(2.5, fit.A, 12);
        Assert.Equal(1.3, fit.G, 12);
        Assert.Equal(1.0, fit.R2, 12);
        Assert.Equal(y[7], fit.At(7), 9);

        var shrinking = ExponentialFit.Fit([1.0, 3.0, 5.0], [8.0, 2.0, 0.5]);   // 16·(1/2)^x at uneven x
        Assert.Equal(0.5, shrinking.G, 12);
        Assert.Equal(16, shrinking.A, 12);
    }

    [Fact]
    public void ExponentialFitMatchesTheClosedFormLeastSquaresLine()
    {
        // ln y = 0, 1, 3 at x = 0, 1, 2: slope 3/2, intercept −1/6, residuals 1/6, −1/3, 1/6 → SS_res 1/6, SS_tot 42/9
        var fit = ExponentialFit.Fit([1, Math.E, Math.Exp(3)]);
        Assert.Equal(Math.Exp(1.5), fit.G, 12);
        Assert.Equal(Math.Exp(-1.0 / 6), fit.A, 12);
        Assert.Equal(1 - 1.0 / 28, fit.R2, 12);
    }

    [Fact]
    public void ExponentialFitRefusesBadPoints()
    {
        Assert.Contains("positive", Assert.Throws<ArgumentException>(() => ExponentialFit.Fit([1.0, 0.0, 2.0])).Message);
        Assert.Contains("at least 2", Assert.Throws<ArgumentException>(() => ExponentialFit.Fit([1.0])).Message);
        Assert.Contains("x values are equal", Assert.Throws<ArgumentException>(() => ExponentialFit.Fit([1.0, 1.0], [2.0, 3.0])).Message);
    }

    [Fact]
    public void SpectralNormMatchesTheClosedFormOfTwoByTwoMatricesAndRankOne()
    {
        // σ_max² = (S + √(S² − 4 det²)) / 2 with S = Σ m_ij²
        double[][] cases = [[3, 1, -2, 4], [1, 2, 2, 4], [0, 5, 0, 0], [1e-3, 2, -7, 0.5]];
        var m = Tensor.FromArray(cases.SelectMany(c => c).ToArray(), [cases.Length, 2, 2]);
        var spectral = MatrixNorms.Spectral(m).ToDoubleArray();
        var frob = MatrixNorms.Frobenius(m).ToDoubleArray();
        for (int i = 0; i < cases.Length; i++)
        {
            var (a, b, c, d) = (cases[i][0], cases[i][1], cases[i][2], cases[i][3]);
            double s = a * a + b * b + c * c + d * d, det = a * d - b * c;
            Assert.Equal(Math.Sqrt((s + Math.Sqrt(s * s - 4 * det * det)) / 2), spectral[i], 9);
            Assert.Equal(Math.Sqrt(s), frob[i], 12);
        }
        // u vᵀ has σ_max = ‖u‖‖v‖, also as a product of a column and a row
        var u = Tensor.FromArray(new double[] { 1, -2, 2 }, [3, 1]);
        var v = Tensor.FromArray(new double[] { 3, 0, 4, 0, 0 }, [1, 5]);
        Assert.Equal(15, MatrixNorms.SpectralOfProduct(u, v).Item(), 9);
        Assert.Equal(15, MatrixNorms.Spectral(u.MatMul(v)).Item(), 9);
    }

    [Fact]
    public void NormsOfAModelAreTheMeanResidualNormsAndItsWeightNorms()
    {
        var model = new HookedTransformer(new TransformerConfig
        {
            NLayers = 2, DModel = 8, NHeads = 2, DHead = 4, DMlp = 16, DVocab = 10, NCtx = 6, Dtype = DType.Float64, Seed = 5,
        });
        var tokens = Tensor.RandInt(0, 10, [3, 6], new Generator(4));
        var norms = ResidualNorms.Measure(model, tokens, excludeBos: true);
        var (_, cache) = model.RunWithCache(tokens);
        Assert.Equal(3, norms.ResidNorm.Count);
        for (int l = 0; l <= 2; l++)
        {
            var r = (l < 2 ? cache.ResidPre(l) : cache.ResidPost(1)).ToDoubleArray();   // [3, 6, 8]
            double sum = 0;
            for (int b = 0; b < 3; b++)
                for (int p = 1; p < 6; p++)
                    sum += Math.Sqrt(Enumerable.Range(0, 8).Sum(i => r[(b * 6 + p) * 8 + i] * r[(b * 6 + p) * 8 + i]));
            Assert.Equal(sum / 15, norms.ResidNorm[l], 12);
        }
        Assert.Equal(ExponentialFit.Fit(norms.ResidNorm), norms.Fit);

        var ov = model.Blocks[1].Attn.W_V.Select(0, 1).MatMul(model.Blocks[1].Attn.W_O.Select(0, 1));   // [8, 8]
        Assert.Equal(Math.Sqrt(ov.Square().Sum().Item()), norms.OvFrobenius[1, 1], 12);
        Assert.Equal(MatrixNorms.Spectral(ov).Item(), norms.OvSpectral[1, 1], 9);
        Assert.True(norms.OvSpectral[1, 1] <= norms.OvFrobenius[1, 1]);
        Assert.Equal(MatrixNorms.Frobenius(model.Blocks[0].Mlp!.W_out).Item(), norms.WOutFrobenius![0], 12);

        var all = ResidualNorms.Measure(model, tokens, excludeBos: false);
        Assert.NotEqual(norms.ResidNorm[0], all.ResidNorm[0]);
    }
}
