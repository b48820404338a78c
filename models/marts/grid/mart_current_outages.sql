{#- Outages in force now: the latest REMIT revision of each message (mRID), kept when that revision
    is still active (not dismissed/inactive) and its event has not ended. "Now" is the build time
    (var('as_of_date') pins it for tests and replays). -#}

with revisions as (

    select
        *,
        row_number() over (partition by mrid order by revision_number desc, publish_time desc) as revision_rank
    from {{ ref('bmrs_remit_unified') }}

),

latest as (

    select * from revisions where revision_rank = 1

)

select
    mrid,
    revision_number,
    publish_time,
    message_heading,
    event_type,
    unavailability_type,
    event_status,
    participant_id,
    asset_id,
    asset_type,
    affected_unit,
    affected_unit_eic,
    bidding_zone,
    fuel_type,
    normal_capacity,
    available_capacity,
    unavailable_capacity,
    event_start_time,
    event_end_time,
    cause,
    related_information,
    outage_profile,
    event_start_time <= {{ current_utc_timestamp() }} as has_started
from latest
where coalesce(lower(event_status), 'active') not in ('dismissed', 'inactive', 'cancelled', 'withdrawn')
    and (event_end_time is null or event_end_time > {{ current_utc_timestamp() }})
