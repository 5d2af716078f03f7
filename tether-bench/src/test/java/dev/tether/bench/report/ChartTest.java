package dev.tether.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartTest {

    @TempDir
    Path dir;

    @Test
    void writesAReadablePng() throws Exception {
        System.setProperty("java.awt.headless", "true");
        Path file = Chart.create("Server memory per connection", "connections", "KiB")
                .series("Tether", List.of(1_000.0, 5_000.0, 10_000.0), List.of(26.0, 18.0, 17.5))
                .series("Mosquitto", List.of(1_000.0, 5_000.0), List.of(0.8, 0.74))
                .reference("target 4 KiB", 4)
                .writePng(dir.resolve("charts/memory.png"));
        BufferedImage image = ImageIO.read(file.toFile());
        assertThat(image.getWidth()).isEqualTo(900);
        assertThat(image.getHeight()).isEqualTo(520);
        assertThat(distinctColours(image)).isGreaterThan(5);
    }

    @Test
    void labelledTicksAndAnEmptyChartStillRender() throws Exception {
        List<Double> xs = List.of(1.0, 2.0, 3.0, 4.0, 5.0);
        Path file = Chart.create("Latency", "percentile", "ms").xTicks(xs, Latency.LABELS)
                .series("connect", xs, List.of(1.0, 2.0, 4.0, 8.0, 9.0))
                .writePng(dir.resolve("latency.png"));
        assertThat(ImageIO.read(file.toFile())).isNotNull();
        assertThat(Chart.create("empty", "x", "y").render()).isNotNull();
    }

    @Test
    void axisTopsAreRoundNumbers() {
        assertThat(Chart.niceCeiling(0.74)).isEqualTo(0.8);
        assertThat(Chart.niceCeiling(3.3)).isEqualTo(4.0);
        assertThat(Chart.niceCeiling(22)).isEqualTo(25.0);
        assertThat(Chart.niceCeiling(11_000)).isEqualTo(12_000.0);
        assertThat(Chart.niceCeiling(20_000)).isEqualTo(20_000.0);
    }

    private static int distinctColours(BufferedImage image) {
        return (int) IntStream.range(0, image.getWidth() * image.getHeight())
                .map(i -> image.getRGB(i % image.getWidth(), i / image.getWidth())).distinct().limit(100).count();
    }
}
