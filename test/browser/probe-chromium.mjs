// Run by vitest.browser.ts in a child process: node probe-chromium.mjs <chromium path> <args as JSON>.
// Opens a page in that Chromium and prints, as JSON, why each tfjs browser backend cannot run there
// ({"webgl": reason or null, "webgpu": reason or null}). The page is served from localhost because
// `navigator.gpu` exists only in secure contexts.
import {createServer} from 'node:http';
import {chromium} from 'playwright-core';

const [executablePath, argsJson] = process.argv.slice(2);
const server = createServer((_request, response) => {
  response.setHeader('content-type', 'text/html');
  response.end('<!doctype html><title>probe</title>');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
let browser;
try {
  browser = await chromium.launch({executablePath, args: JSON.parse(argsJson), headless: true, timeout: 60_000});
  const page = await browser.newPage();
  await page.goto(`http://localhost:${server.address().port}/`);
  const reasons = await page.evaluate(async () => {
    const gl = document.createElement('canvas').getContext('webgl2');
    return {webgl: gl ? null : 'Chromium could not create a WebGL2 context', webgpu: await webgpuProblem()};

    // tfjs-backend-webgpu reads tensors synchronously (dataSync, which the tests use throughout) by copying
    // the GPU buffer into a WebGPU canvas and drawing that into a 2D canvas; some software setups draw zeros.
    async function webgpuProblem() {
      if (!('gpu' in navigator)) return 'Chromium exposes no navigator.gpu';
      try {
        const adapter = await navigator.gpu.requestAdapter();
        if (!adapter) return 'Chromium found no WebGPU adapter';
        const device = await adapter.requestDevice();
        const [width, height] = [64, 1];
        const buffer = device.createBuffer({size: width * 4, usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true});
        new Uint8Array(buffer.getMappedRange()).fill(200);
        buffer.unmap();
        const gpuCanvas = new OffscreenCanvas(width, height);
        const context = gpuCanvas.getContext('webgpu');
        context.configure({device, format: 'bgra8unorm', usage: GPUTextureUsage.COPY_DST, alphaMode: 'premultiplied'});
        const encoder = device.createCommandEncoder();
        encoder.copyBufferToTexture({buffer, bytesPerRow: 256}, {texture: context.getCurrentTexture()}, {width, height});
        device.queue.submit([encoder.finish()]);
        const host = new OffscreenCanvas(width, height).getContext('2d', {willReadFrequently: true});
        host.drawImage(gpuCanvas, 0, 0);
        const pixel = host.getImageData(0, 0, 1, 1).data;
        device.destroy();
        if (pixel[3] !== 200) {
          return `a WebGPU canvas drawn into a 2D canvas reads [${pixel.join(', ')}], not [200, 200, 200, 200], so tfjs-backend-webgpu's dataSync() would read wrong values`;
        }
        return null;
      } catch (e) {
        return `WebGPU failed: ${e.message}`;
      }
    }
  });
  process.stdout.write(JSON.stringify(reasons));
} finally {
  await browser?.close();
  server.close();
}
