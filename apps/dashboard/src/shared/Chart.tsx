import { lazy, Suspense } from 'react';
import { Skeleton } from 'antd';
import type { EChartsCoreOption } from 'echarts/core';

const EChart = lazy(() => import('./charts/EChart'));

/** A chart, drawn by ECharts once its chunk has loaded (the numbers beside it show at once). */
export function Chart(props: { option: EChartsCoreOption; height?: number; label: string }) {
  return (
    <Suspense fallback={<Skeleton.Node active style={{ width: '100%', height: props.height ?? 260 }} />}>
      <EChart {...props} />
    </Suspense>
  );
}
