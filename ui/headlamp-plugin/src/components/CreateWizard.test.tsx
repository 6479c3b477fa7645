import { vi } from 'vitest';
import { draftBody, stepOf } from './CreateWizard';

// The wizard's pure parts only: Headlamp's proxy and router (../headlamp) are the browser
// tier's (tests/ui), where the plugin runs inside Headlamp's frontend.
vi.mock('../headlamp', () => ({
  asApiError: (error: unknown) => error,
  jobHref: () => '',
  useNavigate: () => () => undefined,
}));

describe('the create wizard', () => {
  it('sends each refusal back to the step that holds its field', () => {
    expect(
      [
        'metadata.name',
        'spec.template',
        'spec.parameters.retention_days',
        'spec.schedule',
        'spec.timeZone',
        'spec.notifications.onFailure[0].parameters.to',
        'spec',
        '',
      ].map(stepOf)
    ).toEqual([0, 0, 1, 2, 2, 3, 4, 4]);
  });

  it('makes the DynamicJob from the draft, with notifiers only where chosen', () => {
    expect(
      draftBody({
        name: ' nightly ',
        namespace: '',
        template: 'heartbeat',
        parameters: { message: 'hi' },
        schedule: ' 0 3 * * * ',
        timeZone: '',
        notifiers: { onFailure: { template: 'email-notification', parameters: { to: ['a@b.c'] } } },
      })
    ).toEqual({
      apiVersion: 'dynamicjobs.io/v1alpha1',
      kind: 'DynamicJob',
      metadata: { name: 'nightly', namespace: 'default' },
      spec: {
        template: 'heartbeat',
        parameters: { message: 'hi' },
        schedule: '0 3 * * *',
        notifications: {
          onFailure: [{ template: 'email-notification', parameters: { to: ['a@b.c'] } }],
        },
      },
    });
  });
});
